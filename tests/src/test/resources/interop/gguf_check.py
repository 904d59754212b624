#!/usr/bin/env python3
"""An independent GGUF reader (Python standard library only), written from the GGUF specification in
ggml's docs/gguf.md for piece4j's tests; it shares no code with piece4j.

    gguf_check.py REFERENCE.gguf CANDIDATE.gguf DECODED.f32

Reads both files completely. REFERENCE holds the model in F32; CANDIDATE the same model in F32, F16, BF16
or Q8_0. For every tensor of CANDIDATE this encodes REFERENCE's values into CANDIDATE's type the way ggml's
reference code does, compares the result with CANDIDATE's stored bytes, and decodes CANDIDATE's bytes to
float32 (written to DECODED.f32, little-endian, tensors in CANDIDATE's order). Prints one line per key
("key NAME TYPE VALUE", arrays as their length) and per tensor ("tensor NAME TYPE DIMS OFFSET ok" or
"... MISMATCH at byte N"), then "done". Any structural problem is an exception (exit status 1).

Layout (little-endian): "GGUF", u32 version (2 or 3), u64 tensor_count, u64 kv_count; kv_count x (string key,
u32 value type, value); tensor_count x (string name, u32 n_dims, n_dims x u64 (innermost first), u32 ggml
type, u64 offset); padding to general.alignment (default 32); tensor data, offsets relative to its start.
A string is a u64 byte count and UTF-8 bytes; an array is u32 element type, u64 count, the elements.
"""
import math
import struct
import sys

SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
TYPE_NAMES = {0: "F32", 1: "F16", 8: "Q8_0", 30: "BF16"}


class Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, fmt):
        size = struct.calcsize(fmt)
        if self.pos + size > len(self.data):
            raise ValueError("read past the end of the file at %d" % self.pos)
        value = struct.unpack_from(fmt, self.data, self.pos)[0]
        self.pos += size
        return value

    def string(self):
        n = self.take("<Q")
        if self.pos + n > len(self.data):
            raise ValueError("string of %d bytes past the end at %d" % (n, self.pos))
        s = self.data[self.pos:self.pos + n].decode("utf-8")
        self.pos += n
        return s

    def value(self, vtype):
        if vtype in SCALARS:
            return self.take(SCALARS[vtype])
        if vtype == 8:
            return self.string()
        if vtype == 9:
            etype, n = self.take("<I"), self.take("<Q")
            return [self.value(etype) for _ in range(n)]
        raise ValueError("unknown value type %d" % vtype)


def parse(path):
    data = open(path, "rb").read()
    r = Reader(data)
    if data[:4] != b"GGUF":
        raise ValueError("%s: magic %r is not GGUF" % (path, data[:4]))
    r.pos = 4
    version = r.take("<I")
    if version not in (2, 3):
        raise ValueError("%s: version %d" % (path, version))
    n_tensors, n_kv = r.take("<Q"), r.take("<Q")
    keys = []
    for _ in range(n_kv):
        key = r.string()
        vtype = r.take("<I")
        keys.append((key, vtype, r.value(vtype)))
    alignment = dict((k, v) for k, _, v in keys).get("general.alignment", 32)
    tensors = []
    for _ in range(n_tensors):
        name = r.string()
        dims = [r.take("<Q") for _ in range(r.take("<I"))]
        tensors.append((name, dims, r.take("<I"), r.take("<Q")))
    start = (r.pos + alignment - 1) // alignment * alignment
    return data, keys, tensors, start, alignment


def f32(x):
    """x rounded to float32, as C's float arithmetic rounds every +, -, *, / of floats."""
    return struct.unpack("<f", struct.pack("<f", x))[0]


def bf16_bits(x):
    u = struct.unpack("<I", struct.pack("<f", x))[0]
    if (u & 0x7FFFFFFF) > 0x7F800000:
        return (u >> 16) | 0x40  # NaN stays a quiet NaN
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16) & 0xFFFF  # round to nearest, ties to even


def encode(values, ggml_type):
    """The bytes ggml's reference code stores for these float32 values."""
    if ggml_type == 0:
        return struct.pack("<%df" % len(values), *values)
    if ggml_type == 1:
        return struct.pack("<%de" % len(values), *values)  # binary16, round half to even
    if ggml_type == 30:
        return struct.pack("<%dH" % len(values), *[bf16_bits(v) for v in values])
    if ggml_type == 8:  # quantize_row_q8_0_ref: d = amax / 127, q = roundf(x * (1 / d)), d as binary16
        out = bytearray()
        for b in range(0, len(values), 32):
            block = values[b:b + 32]
            d = f32(max(abs(v) for v in block) / 127.0)
            inverse = f32(1.0 / d) if d != 0 else 0.0
            out += struct.pack("<e", d)
            for v in block:
                x = f32(v * inverse)
                out += struct.pack("<b", int(math.copysign(math.floor(abs(x) + 0.5), x)))
        return bytes(out)
    raise ValueError("ggml type %d is not one this check encodes" % ggml_type)


def decode(raw, ggml_type, n):
    if ggml_type == 0:
        return list(struct.unpack("<%df" % n, raw))
    if ggml_type == 1:
        return list(struct.unpack("<%de" % n, raw))
    if ggml_type == 30:
        return [struct.unpack("<f", struct.pack("<I", h << 16))[0] for h in struct.unpack("<%dH" % n, raw)]
    if ggml_type == 8:
        out = []
        for b in range(n // 32):
            d = struct.unpack_from("<e", raw, 34 * b)[0]
            out += [f32(d * q) for q in struct.unpack_from("<32b", raw, 34 * b + 2)]
        return out
    raise ValueError("ggml type %d is not one this check decodes" % ggml_type)


def nbytes(ggml_type, n):
    return {0: 4 * n, 1: 2 * n, 30: 2 * n, 8: n // 32 * 34}[ggml_type]


def main(reference_path, candidate_path, decoded_path):
    ref_data, _, ref_tensors, ref_start, _ = parse(reference_path)
    data, keys, tensors, start, alignment = parse(candidate_path)
    reference = {}
    for name, dims, ggml_type, offset in ref_tensors:
        if ggml_type != 0:
            raise ValueError("reference tensor %s is %s, expected F32" % (name, TYPE_NAMES.get(ggml_type, ggml_type)))
        n = math.prod(dims)
        reference[name] = decode(ref_data[ref_start + offset:ref_start + offset + 4 * n], 0, n)
    for key, vtype, value in keys:
        shown = "[%d]" % len(value) if isinstance(value, list) else repr(value)
        print("key %s %d %s" % (key, vtype, shown))
    with open(decoded_path, "wb") as out:
        for name, dims, ggml_type, offset in tensors:
            if offset % alignment:
                raise ValueError("tensor %s offset %d is not aligned to %d" % (name, offset, alignment))
            n = math.prod(dims)
            raw = data[start + offset:start + offset + nbytes(ggml_type, n)]
            if len(raw) != nbytes(ggml_type, n):
                raise ValueError("tensor %s runs past the end of the file" % name)
            expected = encode(reference[name], ggml_type)
            mismatch = next((i for i in range(len(raw)) if raw[i] != expected[i]), None)
            verdict = "ok" if mismatch is None else "MISMATCH at byte %d" % mismatch
            print("tensor %s %s %s %d %s" % (name, TYPE_NAMES.get(ggml_type, ggml_type), "x".join(map(str, dims)), offset, verdict))
            out.write(struct.pack("<%df" % n, *decode(raw, ggml_type, n)))
    print("done")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: gguf_check.py REFERENCE.gguf CANDIDATE.gguf DECODED.f32")
    main(*sys.argv[1:])
