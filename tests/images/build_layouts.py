#!/usr/bin/env python3
"""Writes the hand-made OCI image layouts for the image tests (see make-test-images.sh).

Every layer is crafted here with tarfile rather than by umoci: the opaque whiteout of
busybox:multi must be a real `.wh..wh..opq` marker (umoci repack writes one whiteout per file
instead), the hostile layers hold entries no well-behaved tool writes, and fixed mtimes, owners
and gzip headers make every digest the same on every machine.

usage: build_layouts.py OUTDIR   (writes OUTDIR/oci and OUTDIR/bad-digest, OUTDIR/bad-digest-*)
"""
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile

MTIME = 1700000000  # fixed, so layers are byte-for-byte reproducible
CREATED = "2023-11-14T22:13:20Z"
APPLETS = ("sh ls cat id env echo mkdir rm touch sleep test wc head stat whoami grep true false "
           "printf pwd readlink find sort").split()
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"


class Layout:
    """An OCI image layout directory: content-addressed blobs plus index.json's tags."""

    def __init__(self, path):
        self.path = path
        self.tags = []
        os.makedirs(os.path.join(path, "blobs", "sha256"), exist_ok=True)
        with open(os.path.join(path, "oci-layout"), "w") as f:
            json.dump({"imageLayoutVersion": "1.0.0"}, f)

    def blob(self, data, media_type):
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        with open(os.path.join(self.path, "blobs", "sha256", digest[7:]), "wb") as f:
            f.write(data)
        return {"mediaType": media_type, "digest": digest, "size": len(data)}

    def json_blob(self, value, media_type):
        return self.blob(json.dumps(value, sort_keys=True).encode(), media_type)

    def tag(self, name, descriptor):
        entry = dict(descriptor)
        entry["annotations"] = {"org.opencontainers.image.ref.name": name}
        self.tags.append(entry)

    def write_index(self):
        index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": self.tags}
        with open(os.path.join(self.path, "index.json"), "w") as f:
            json.dump(index, f, indent=1)


def entry(name, kind=tarfile.REGTYPE, data=b"", mode=0o644, owner=0, link="", dev=(0, 0)):
    return (name, kind, data, mode, owner, link, dev)


def dir_(name, mode=0o755, owner=0):
    return entry(name, tarfile.DIRTYPE, mode=mode, owner=owner)


def layer_tar(entries):
    """An uncompressed tar of the entries, in the order given (names are written verbatim)."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, kind, data, mode, owner, link, dev in entries:
            info = tarfile.TarInfo(name)
            info.type, info.mode, info.mtime = kind, mode, MTIME
            info.uid = info.gid = owner
            info.linkname = link
            info.devmajor, info.devminor = dev
            info.size = len(data) if kind == tarfile.REGTYPE else 0
            tar.addfile(info, io.BytesIO(data) if info.size else None)
    return out.getvalue()


def gzipped(data, level=6):
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=level, mtime=0) as gz:
        gz.write(data)
    return out.getvalue()


def add_layer(layout, entries, level=6):
    tar = layer_tar(entries)
    desc = layout.blob(gzipped(tar, level), OCI_LAYER_GZIP)
    return desc, "sha256:" + hashlib.sha256(tar).hexdigest()


def add_image(layout, layers, config=None, arch="amd64", os_="linux", variant=None, history=None):
    """Writes config and manifest for already-added layers [(descriptor, diff_id)]."""
    cfg = {"architecture": arch, "os": os_, "created": CREATED, "config": config or {},
           "rootfs": {"type": "layers", "diff_ids": [diff for _, diff in layers]},
           "history": [{"created": CREATED, "created_by": h} for h in history or []]}
    if variant:
        cfg["variant"] = variant
    manifest = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                "config": layout.json_blob(cfg, OCI_CONFIG),
                "layers": [desc for desc, _ in layers]}
    desc = layout.json_blob(manifest, OCI_MANIFEST)
    platform = {"architecture": arch, "os": os_}
    if variant:
        platform["variant"] = variant
    return desc, platform


def add_index(layout, images):
    manifests = [dict(desc, platform=platform) for desc, platform in images]
    return layout.json_blob({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests},
                            OCI_INDEX)


def busybox_layers(layout):
    with open("/bin/busybox", "rb") as f:
        busybox = f.read()
    base = [dir_("bin"), entry("bin/busybox", data=busybox, mode=0o755)]
    base += [entry("bin/" + a, tarfile.SYMTYPE, mode=0o777, link="busybox") for a in APPLETS]
    base += [dir_("dev"), dir_("etc"),
             entry("etc/passwd", data=b"root:x:0:0:root:/root:/bin/sh\n"
                                      b"app:x:1000:1000:app:/home/app:/bin/sh\n"),
             entry("etc/group", data=b"root:x:0:\napp:x:1000:\n"),
             dir_("home"), dir_("home/app", owner=1000), dir_("proc"), dir_("root", 0o700),
             dir_("sys"), dir_("tmp", 0o1777), dir_("usr"), dir_("usr/bin"),
             # /data is app's: the image's user works (WorkingDir) and writes there.
             dir_("data", owner=1000), entry("data/keep", data=b"keep\n"),
             entry("data/gone", data=b"gone\n"), dir_("opq"), entry("opq/old", data=b"old\n")]
    # Deletes /data/gone; the opaque marker hides everything /opq had below, so only new stays.
    whiteouts = [dir_("data", owner=1000), entry("data/.wh.gone", mode=0o600),
                 dir_("opq"), entry("opq/.wh..wh..opq", mode=0o600),
                 entry("opq/new", data=b"new\n")]
    third = [dir_("data", owner=1000), entry("data/three", data=b"three\n")]
    return [add_layer(layout, e) for e in (base, whiteouts, third)]


def busybox_config(user, variant):
    return {"Env": ["PATH=/bin:/usr/bin", "FOO=from-image"], "WorkingDir": "/data",
            "User": user, "Entrypoint": ["/bin/sh", "-c"],
            "Cmd": ["echo started > /tmp/started; sleep 1000"],
            "Labels": {"org.hive.test.image": "busybox-" + variant}}


def tiny_image(layout, what, arch="amd64", os_="linux", variant=None, extra=()):
    """A one-layer image holding /hello (and any extra entries); it need not run."""
    entries = [entry("hello", data=("hello from %s\n" % what).encode())] + list(extra)
    config = {"Cmd": ["/hello"], "Labels": {"org.hive.test.image": what}}
    return add_image(layout, [add_layer(layout, entries)], config, arch, os_, variant,
                     ["hand-made " + what])


HOSTILE = {
    "dotdot": [entry("../../escape-dotdot", data=b"escaped\n")],
    "abs": [entry("/tmp/escape-abs", data=b"escaped\n")],
    "symlink": [entry("link", tarfile.SYMTYPE, mode=0o777, link="/"),
                entry("link/tmp/escape-symlink", data=b"escaped\n")],
    "hardlink": [entry("h", tarfile.LNKTYPE, link="../../etc/passwd")],
    "hardlink-abs": [entry("h", tarfile.LNKTYPE, link="/etc/passwd")],
    "device": [dir_("dev"), entry("dev/sda", tarfile.CHRTYPE, mode=0o660, dev=(8, 0)),
               entry("dev/sdb", tarfile.BLKTYPE, mode=0o660, dev=(8, 16))],
}


def main(out):
    oci = Layout(os.path.join(out, "oci"))
    layers = busybox_layers(oci)
    history = ["busybox, passwd, /data/{keep,gone}, /opq/old",
               "whiteout /data/gone, opaque /opq with /opq/new", "/data/three"]
    for tag, user in (("multi", "app"), ("numeric", "1000:1000"), ("root", "")):
        desc, platform = add_image(oci, layers, busybox_config(user, tag), history=history)
        oci.tag("busybox-" + tag, desc)
        if tag == "multi":
            amd64 = (desc, platform)

    arm64 = tiny_image(oci, "arm64", arch="arm64", variant="v8")
    oci.tag("multiarch", add_index(oci, [amd64, arm64]))
    s390x = tiny_image(oci, "s390x", arch="s390x")
    windows = tiny_image(oci, "windows", os_="windows")
    oci.tag("noplatform", add_index(oci, [s390x, windows]))

    for name, entries in HOSTILE.items():
        oci.tag("evil-" + name, tiny_image(oci, "evil-" + name, extra=entries)[0])

    # A runnable image whose /etc and /workspace are absolute symlinks to host paths: the
    # sandbox's mounts (/etc/hosts, /workspace) must land inside its root, never there.
    links = [entry("etc", tarfile.SYMTYPE, mode=0o777, link="/tmp/hive-escape-etc"),
             entry("workspace", tarfile.SYMTYPE, mode=0o777, link="/tmp/hive-escape-ws")]
    etclink = layers + [add_layer(oci, links)]
    oci.tag("evil-etclink", add_image(oci, etclink, busybox_config("", "etclink"),
                                      history=history + ["/etc, /workspace -> host paths"])[0])

    # bad/digest: pushed intact (a registry refuses a blob whose digest does not match), then
    # a test swaps in bad-digest-layer.tar.gz with corrupt-blob.sh. The swap is a valid gzip
    # tar of the same size (stored, not deflated; one byte differs), so only a client that
    # checks the digest can tell.
    good = [entry("payload", data=b"good payload\n")]
    bad = [entry("payload", data=b"evil payload\n")]
    good_layer = add_layer(oci, good, level=0)
    oci.tag("bad-digest", add_image(oci, [good_layer], {"Cmd": ["/payload"]})[0])
    swapped = gzipped(layer_tar(bad), level=0)
    assert len(swapped) == good_layer[0]["size"]
    with open(os.path.join(out, "bad-digest-layer.tar.gz"), "wb") as f:
        f.write(swapped)
    with open(os.path.join(out, "bad-digest-layer.digest"), "w") as f:
        f.write(good_layer[0]["digest"] + "\n")
    oci.write_index()

    # The same mismatch as a layout of its own, tag "1": its manifest names the good layer's
    # digest but that blob file holds the swapped bytes.
    broken = Layout(os.path.join(out, "bad-digest"))
    desc, _ = add_image(broken, [good_layer], {"Cmd": ["/payload"]})
    with open(os.path.join(broken.path, "blobs", "sha256", good_layer[0]["digest"][7:]), "wb") as f:
        f.write(swapped)
    broken.tag("1", desc)
    broken.write_index()


if __name__ == "__main__":
    main(sys.argv[1])
