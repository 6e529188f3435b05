#!/usr/bin/python3
"""edit_json.py IMAGE PATH VALUE: sets one field of the metadata JSON in both
header copies (checksums resealed), e.g.

    edit_json.py img keyslots.0.area.key_size 4611686018427387904

PATH is dot-separated object keys; VALUE is parsed as JSON (a bare word that
is not JSON is taken as a string).  Reuses tests/generators/mutate.py."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import mutate  # noqa: E402


def main():
    path, field, text = sys.argv[1], sys.argv[2].split("."), sys.argv[3]
    try:
        value = json.loads(text)
    except ValueError:
        value = text
    with open(path, "rb") as f:
        img = bytearray(f.read())
    for off in (0, mutate.secondary_off(img)):
        obj = mutate.read_json(img, off)
        node = obj
        for key in field[:-1]:
            node = node[key]
        node[field[-1]] = value
        mutate.put_json(img, off, obj)
    with open(path, "r+b") as f:
        f.write(img)


if __name__ == "__main__":
    main()
