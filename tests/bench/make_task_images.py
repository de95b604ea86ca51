#!/usr/bin/env python3
"""The RL step's images for hive-bench: N task images that share a busybox base layer (as
SWE-bench-style corpora share a base) and each add a layer of their own (1 MB of
incompressible bytes, the task's files), so a cold step downloads the base once and every
task layer once.

usage: make_task_images.py OUTDIR N   (writes an OCI layout OUTDIR/oci, tags task0 .. task{N-1})
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "images"))
import build_layouts as b  # noqa: E402


def main(out, count):
    oci = b.Layout(os.path.join(out, "oci"))
    base = b.busybox_layers(oci)[:1]
    for i in range(count):
        task = b.add_layer(oci, [b.dir_("task"), b.entry("task/data", data=os.urandom(1 << 20))],
                           level=1)
        desc, _ = b.add_image(oci, base + [task], b.busybox_config("", "task%d" % i))
        oci.tag("task%d" % i, desc)
    oci.write_index()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
