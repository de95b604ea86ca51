#!/usr/bin/env python3
"""Writes the hostile archives the image load tests feed the server, into OUTDIR:

  escape-name.tar     a docker save tar whose manifest.json names a layer ../../../../etc/passwd
  escape-symlink.tar  a docker save tar whose layer member is a symlink to /etc/passwd
  bad-blob.tar        an OCI archive whose manifest blob does not match its digest
  no-index.tar        a tar of one file: neither manifest.json nor index.json

Each would, if the server followed it, load a host file as an image layer or trust bytes
nobody checked.
"""
import hashlib
import io
import json
import sys
import tarfile

CONFIG = json.dumps({"os": "linux", "architecture": "amd64", "config": {}}).encode()


def add(tar, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def add_symlink(tar, name, target):
    info = tarfile.TarInfo(name)
    info.type = tarfile.SYMTYPE
    info.linkname = target
    tar.addfile(info)


def docker_save(path, layer_name, extra):
    with tarfile.open(path, "w") as tar:
        add(tar, "config.json", CONFIG)
        manifest = [{"Config": "config.json", "RepoTags": ["evil/load:1"], "Layers": [layer_name]}]
        add(tar, "manifest.json", json.dumps(manifest).encode())
        extra(tar)


def main(out):
    docker_save(f"{out}/escape-name.tar", "../../../../etc/passwd", lambda tar: None)
    docker_save(f"{out}/escape-symlink.tar", "layer.tar",
                lambda tar: add_symlink(tar, "layer.tar", "/etc/passwd"))
    with tarfile.open(f"{out}/bad-blob.tar", "w") as tar:
        manifest = json.dumps({"schemaVersion": 2, "layers": []}).encode()
        digest = hashlib.sha256(manifest).hexdigest()
        add(tar, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        add(tar, f"blobs/sha256/{digest}", manifest.replace(b"2", b"3"))
        index = {"schemaVersion": 2, "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": f"sha256:{digest}", "size": len(manifest),
            "annotations": {"org.opencontainers.image.ref.name": "evil/load:2"}}]}
        add(tar, "index.json", json.dumps(index).encode())
    with tarfile.open(f"{out}/no-index.tar", "w") as tar:
        add(tar, "hello.txt", b"hello\n")


if __name__ == "__main__":
    main(sys.argv[1])
