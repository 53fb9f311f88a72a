#!/usr/bin/python3
"""A second reader of .nrec recordings, written from README.md ("Recordings"), for the tests.

  nrec_tool.py info FILE                  header fields and record counts, one per line
  nrec_tool.py flip FILE OUT TICK [--keep-crc]
                                          flips a byte of the impulse of the first push in the
                                          action of tick TICK (1-based tick records) and, unless
                                          --keep-crc, writes the record's CRC-32 anew (an edit, not
                                          damage); prints the record's offset
  nrec_tool.py header FILE OUT            flips a byte of the header's seed (its CRC is kept)
  nrec_tool.py cut FILE OUT RECORDS [--inside]
                                          keeps the header and the first RECORDS records (with
                                          --inside, half of the next one too); prints the cut offset

Standard library only."""
import struct
import sys
import zlib

ACTION_BYTES = 784
PUSHES_AT = 8          # SimAction: flags u32, npushes i32, then SimPush[8] (body i32, reserved i32, jx, jy, px, py)


def fail(msg):
    print("nrec_tool: " + msg)
    sys.exit(1)


def parse(data):
    if data[:8] != b"NUDGEREC":
        fail("no magic")
    version, hbytes, action_bytes, hash_every, snap_every, spt = struct.unpack_from("<6I", data, 8)
    dt, seed, scn_hash = struct.unpack_from("<dQQ", data, 32)
    (plen,) = struct.unpack_from("<H", data, 56)
    if hbytes != 58 + plen + 4 or action_bytes != ACTION_BYTES:
        fail("bad header sizes")
    (crc,) = struct.unpack_from("<I", data, hbytes - 4)
    if zlib.crc32(data[:hbytes - 4]) & 0xffffffff != crc:
        fail("header CRC")
    header = dict(version=version, hash_every=hash_every, snap_every=snap_every, steps_per_tick=spt, dt=dt,
                  seed=seed, scn_hash="%016x" % scn_hash, path=data[58:58 + plen].decode())
    records, at = [], hbytes
    while at < len(data):
        rtype, flags, reserved, plen = struct.unpack_from("<BBHI", data, at)
        end = at + 8 + plen + 4
        if end > len(data):
            fail("truncated at %d" % at)
        (crc,) = struct.unpack_from("<I", data, at + 8 + plen)
        if zlib.crc32(data[at:at + 8 + plen]) & 0xffffffff != crc:
            fail("record CRC at %d" % at)
        records.append(dict(type=rtype, flags=flags, offset=at, length=end - at))
        at = end
    return header, hbytes, records


def main(argv):
    if len(argv) < 2:
        fail(__doc__)
    cmd, path = argv[0], argv[1]
    data = bytearray(open(path, "rb").read())
    header, hbytes, records = parse(data)
    if cmd == "info":
        for k, v in header.items():
            print("%s %s" % (k, v))
        ticks = [r for r in records if r["type"] == 1]
        print("ticks %d" % len(ticks))
        print("actions %d" % sum(1 for r in ticks if r["flags"] & 1))
        print("branches %d" % sum(1 for r in records if r["type"] == 2))
        print("end %d" % sum(1 for r in records if r["type"] == 3))
        return
    out = argv[2]
    if cmd == "flip":
        tick = int(argv[3])
        ticks = [r for r in records if r["type"] == 1]
        r = ticks[tick - 1]
        if not r["flags"] & 1:
            fail("tick %d applied nothing" % tick)
        jx = r["offset"] + 8 + PUSHES_AT + 8 + 5   # a middle byte of the first push's jx
        data[jx] ^= 0x10
        if "--keep-crc" not in argv:
            n = r["length"] - 12
            struct.pack_into("<I", data, r["offset"] + 8 + n, zlib.crc32(bytes(data[r["offset"]:r["offset"] + 8 + n])) & 0xffffffff)
        print(r["offset"])
    elif cmd == "header":
        data[41] ^= 0x01
    elif cmd == "cut":
        k = int(argv[3])
        at = records[k]["offset"] if k < len(records) else len(data)
        if "--inside" in argv:
            at += records[k]["length"] // 2
        data = data[:at]
        print(at)
    else:
        fail("unknown command " + cmd)
    open(out, "wb").write(bytes(data))


if __name__ == "__main__":
    main(sys.argv[1:])
