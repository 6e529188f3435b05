#!/usr/bin/python3
"""edit_segment.py IMAGE CIPHER: rewrites segment 0's encryption in both
header copies (checksums resealed), to make images luksvol must refuse to
activate.  Reuses the header helpers of tests/generators/mutate.py."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "generators"))
import mutate  # noqa: E402


def main():
    path, cipher = sys.argv[1], sys.argv[2]
    with open(path, "rb") as f:
        img = bytearray(f.read())
    for off in (0, mutate.secondary_off(img)):
        obj = mutate.read_json(img, off)
        obj["segments"]["0"]["encryption"] = cipher
        mutate.put_json(img, off, obj)
    with open(path, "r+b") as f:
        f.write(img)


if __name__ == "__main__":
    main()
