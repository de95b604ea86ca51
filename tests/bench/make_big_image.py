#!/usr/bin/env python3
"""A ~200 MB image of 5 layers for hive-bench's cold pull: busybox, then four layers of
incompressible files (so the registry, the unpacker and the floor all move the real bytes).

usage: make_big_image.py OUTDIR   (writes an OCI layout OUTDIR/oci, tag "big")
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "images"))
import build_layouts as b  # noqa: E402


def main(out):
    oci = b.Layout(os.path.join(out, "oci"))
    layers = b.busybox_layers(oci)[:1]
    for i in range(4):
        files = [b.dir_("data%d" % i)]
        for j in range(5):
            files.append(b.entry("data%d/blob%d" % (i, j), data=os.urandom(10 << 20)))
        layers.append(b.add_layer(oci, files, level=1))
    desc, _ = b.add_image(oci, layers, b.busybox_config("", "big"))
    oci.tag("big", desc)
    oci.write_index()


if __name__ == "__main__":
    main(sys.argv[1])
