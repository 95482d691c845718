#!/usr/bin/env python3
"""Check the runtime's tensor file I/O (runtime/rt_io.c) against numpy and onnx.

  tensor_io_check.py roundtrip TOOL WORKDIR     files written by numpy (np.save, format.write_array)
                                                and onnx (numpy_helper.from_array, helper.make_tensor)
                                                for every dtype the runtime holds, ranks 0-4 and 8,
                                                empty shapes, extreme values, NaN/inf, big-endian,
                                                Fortran order, .npy 1.0/2.0/3.0, then malformed files
  tensor_io_check.py npy-from-pb IN.pb OUT.npy [--big-endian] [--fortran]
  tensor_io_check.py compare REF_DIR RES_DIR    a pippyrun --output-dir against test_data_set_*/
                                                output_<i>.pb: <name>.npy and output_<i>.pb

TOOL is build/tests/tensor_roundtrip: it reads a file with rt_io's reader and writes it back with
both writers. Every file it writes is loaded again with np.load / onnx and must match the
original exactly (dtype, shape and bytes; for big-endian or Fortran-order inputs, the same array
in little-endian C order). Malformed files must give exit status 1 and a message naming the
file and the problem. Prints one line per failure (and per group) and ends with
"N passed, N failed"; exits 1 on any failure.
"""
import glob
import io
import os
import struct
import subprocess
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper

PASSED = 0
FAILED = 0


def check(label, ok, detail=""):
    global PASSED, FAILED
    if ok:
        PASSED += 1
    else:
        FAILED += 1
        print(f"FAIL {label}" + (f": {detail}" if detail else ""))
    return ok


# numpy dtype -> ONNX data_type, for the dtypes the runtime holds (rt_cpu.h; bfloat16 apart)
ONNX_OF = {
    np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.float64): TensorProto.DOUBLE,
    np.dtype(np.float16): TensorProto.FLOAT16, np.dtype(np.int8): TensorProto.INT8,
    np.dtype(np.int16): TensorProto.INT16, np.dtype(np.int32): TensorProto.INT32,
    np.dtype(np.int64): TensorProto.INT64, np.dtype(np.uint8): TensorProto.UINT8,
    np.dtype(np.uint16): TensorProto.UINT16, np.dtype(np.uint32): TensorProto.UINT32,
    np.dtype(np.uint64): TensorProto.UINT64, np.dtype(np.bool_): TensorProto.BOOL,
}
DTYPES = list(ONNX_OF)
SHAPES = [(), (7,), (3, 5), (2, 3, 4), (2, 1, 3, 2)]
EMPTY = [(0,), (3, 0), (2, 0, 4), (1, 2, 0, 3)]
RANK8 = (1, 2, 1, 2, 1, 2, 1, 3)


def values(dt, shape, rng):
    """Random values of dtype dt that use the type's range: for floats normal values over many
    magnitudes with NaN, +-inf, -0, max, min, tiny and subnormals first; for integers the
    whole range with min, max, 0, -1 first; random bools."""
    n = int(np.prod(shape, dtype=np.int64))
    if dt.kind == "f":
        fi = np.finfo(dt)
        x = (rng.standard_normal(n) * 10.0 ** rng.uniform(-3, 3, n)).astype(dt)
        special = np.array([np.nan, np.inf, -np.inf, -0.0, fi.max, fi.min, fi.tiny,
                            fi.smallest_subnormal, -fi.smallest_subnormal, fi.eps], dtype=dt)
        k = min(n, special.size)
        x[:k] = special[:k] if n > 1 else special[rng.integers(special.size)]
    elif dt.kind in "iu":
        ii = np.iinfo(dt)
        x = rng.integers(ii.min, ii.max, size=n, dtype=dt, endpoint=True)
        special = np.array([ii.min, ii.max, 0, ii.max // 2 + 1] + ([-1] if dt.kind == "i" else []), dtype=dt)
        k = min(n, special.size)
        x[:k] = special[:k]
    else:
        x = rng.random(n) < 0.5
    return x.reshape(shape)


def run_tool(tool, path, npy=None, pb=None):
    cmd = [tool, path] + (["--npy", npy] if npy else []) + (["--pb", pb] if pb else [])
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    return r.returncode, r.stdout, r.stderr


def load_pb(path):
    t = TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return t


def same(a, want):
    """dtype, shape and bytes equal (NaN payloads and -0 included)."""
    return a.dtype == want.dtype and a.shape == want.shape and a.tobytes() == want.tobytes()


def desc(a):
    return f"{a.dtype.str}{list(a.shape)}"


def check_written(label, base, want, name="", onnx_type=None, want_npy=True):
    """base.npy and base.pb (written by the C tool) hold exactly `want` (little-endian, C order)."""
    if want_npy:
        a = np.load(base + ".npy")
        if check(f"{label}: C .npy == original", same(a, want), f"got {desc(a)}, want {desc(want)}"
                 + ("" if a.shape != want.shape else " (values differ)")):
            size = os.path.getsize(base + ".npy")
            check(f"{label}: C .npy data 64-byte aligned", (size - want.nbytes) % 64 == 0, f"file {size} B")
    t = load_pb(base + ".pb")
    ok = (t.data_type == onnx_type and list(t.dims) == list(want.shape) and t.name == name
          and t.HasField("raw_data") and t.raw_data == want.tobytes())
    check(f"{label}: C .pb == original", ok, f"data_type {t.data_type} dims {list(t.dims)} "
          f"name {t.name!r} raw {len(t.raw_data)} B; want {onnx_type} {list(want.shape)} {name!r} "
          f"{want.nbytes} B")
    if onnx_type != TensorProto.BFLOAT16:
        b = numpy_helper.to_array(t)
        check(f"{label}: onnx reads C .pb", same(b, want), f"got {desc(b)}")


def roundtrip(tool, label, path, want, name="", onnx_type=None, work=None):
    """Run the tool on path and check what it wrote and what it printed."""
    onnx_type = ONNX_OF[want.dtype] if onnx_type is None else onnx_type
    base = os.path.join(work, "out")
    for ext in (".npy", ".pb"):
        if os.path.exists(base + ext):
            os.unlink(base + ext)
    bf16 = onnx_type == TensorProto.BFLOAT16
    rc, out, err = run_tool(tool, path, None if bf16 else base + ".npy", base + ".pb")
    if not check(f"{label}: tool exit 0", rc == 0, f"rc {rc}: {err.strip()}"):
        return
    dims = "x".join(str(d) for d in want.shape)
    dname = "bfloat16" if bf16 else ("bool" if want.dtype == np.bool_ else want.dtype.name)
    check(f"{label}: tool's view", out.startswith(f"dtype={dname} rank={want.ndim} dims={dims} "
          f"nbytes={want.nbytes} name={name}\n"), out.strip())
    try:  # a file numpy or onnx cannot even parse is a failure, not the end of the run
        check_written(label, base, want, name, onnx_type, want_npy=not bf16)
    except Exception as e:  # noqa: BLE001
        check(f"{label}: numpy/onnx read what C wrote", False, f"{type(e).__name__}: {e}")


def npy_bytes(header, data, version=(1, 0), pad_to=64):
    """A .npy file with a hand-written header dict (numpy pads with spaces and ends with \\n)."""
    h = header.encode("latin1")
    pre = 10 if version[0] == 1 else 12
    total = pre + len(h) + 1
    h += b" " * ((pad_to - total % pad_to) % pad_to) + b"\n"
    lenfield = struct.pack("<H", len(h)) if version[0] == 1 else struct.pack("<I", len(h))
    return b"\x93NUMPY" + bytes(version) + lenfield + h + data


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return path


def npy_header_of(path):
    """(version, header dict) as numpy reads them: the outside reference for what a file says."""
    with open(path, "rb") as f:
        v = np.lib.format.read_magic(f)
        if v == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
        else:
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
    return v, shape, fortran, dtype


def cmd_roundtrip(tool, work):
    os.makedirs(work, exist_ok=True)
    rng = np.random.default_rng(8)
    f = lambda name: os.path.join(work, name)

    # 1. every dtype x rank 0-4, empty shapes, rank 8: np.save, from_array (raw_data),
    #    make_tensor(raw=False) (the typed *_data fields)
    n0 = FAILED
    for dt in DTYPES:
        for shape in SHAPES + EMPTY + [RANK8]:
            a = values(dt, shape, rng)
            tag = f"{dt.name}{list(shape)}"
            np.save(f("in.npy"), a)
            roundtrip(tool, f"np.save {tag}", f("in.npy"), a, work=work)
            t = numpy_helper.from_array(a, name="x_" + dt.name)
            write(f("in.pb"), t.SerializeToString())
            roundtrip(tool, f"from_array {tag}", f("in.pb"), a, name="x_" + dt.name, work=work)
            t = helper.make_tensor("typed", ONNX_OF[dt], shape, a.flatten(), raw=False)
            if not check(f"make_tensor {tag} uses typed fields", not t.HasField("raw_data")):
                continue
            write(f("in.pb"), t.SerializeToString())
            roundtrip(tool, f"make_tensor {tag}", f("in.pb"), a, name="typed", work=work)
    print(f"dtypes x ranks (np.save, from_array, make_tensor typed): {'ok' if FAILED == n0 else 'FAILED'}")

    # 2. bfloat16 (.pb only: raw_data and int32_data bit patterns, NaN/inf included); the .npy
    #    writer must refuse it clearly
    n0 = FAILED
    for shape in SHAPES + EMPTY:
        bits = rng.integers(0, 65536, size=int(np.prod(shape, dtype=np.int64)), dtype=np.uint16)
        bits[:min(bits.size, 4)] = np.array([0x7FC0, 0x7F80, 0xFF80, 0x8000], np.uint16)[:min(bits.size, 4)]
        bits = bits.reshape(shape)
        for raw in (True, False):
            t = TensorProto(name="bf", data_type=TensorProto.BFLOAT16, dims=list(shape))
            if raw:
                t.raw_data = bits.tobytes()
            else:
                t.int32_data.extend(int(v) for v in bits.flatten())
            write(f("in.pb"), t.SerializeToString())
            roundtrip(tool, f"bfloat16 {'raw' if raw else 'int32_data'} {list(shape)}", f("in.pb"),
                      bits, name="bf", onnx_type=TensorProto.BFLOAT16, work=work)
    if os.path.exists(f("bf.npy")):
        os.unlink(f("bf.npy"))
    rc, _, err = run_tool(tool, f("in.pb"), npy=f("bf.npy"))
    check("bfloat16 -> .npy is a clear error", rc == 2 and "no .npy dtype for bfloat16" in err
          and not os.path.exists(f("bf.npy")), f"rc {rc}: {err.strip()}")
    print(f"bfloat16 (.pb): {'ok' if FAILED == n0 else 'FAILED'}")

    # 3. big-endian .npy: read and byte-swapped to little-endian
    n0 = FAILED
    for dt in DTYPES:
        if dt.itemsize == 1:
            continue
        a = values(dt, (3, 4), rng)
        be = a.astype(dt.newbyteorder(">"))
        np.save(f("in.npy"), be)
        if not check(f"numpy wrote {dt.name} big-endian", npy_header_of(f("in.npy"))[3].byteorder == ">"):
            continue
        roundtrip(tool, f"big-endian {dt.name}", f("in.npy"), a, work=work)
    print(f"big-endian .npy: {'ok' if FAILED == n0 else 'FAILED'}")

    # 4. Fortran order: np.save of F-contiguous arrays (numpy writes 'fortran_order': True),
    #    read into C order
    n0 = FAILED
    cases = [(np.float32, (3, 5)), (np.int64, (2, 3, 4)), (np.uint8, (2, 3, 2, 5)),
             (np.bool_, (4, 3)), (np.float16, (3, 1, 4)), (np.float64, (3, 0)),
             (np.int16, (1, 6))]
    for dt, shape in cases:
        a = values(np.dtype(dt), shape, rng)
        for how, arr in (("asfortranarray", np.asfortranarray(a)),
                         ("big-endian Fortran", np.asfortranarray(a.astype(a.dtype.newbyteorder(">"))))):
            np.save(f("in.npy"), arr)
            v, sh, fortran, _ = npy_header_of(f("in.npy"))
            if a.size and len(shape) > 1 and min(shape) > 1:
                check(f"numpy wrote {how} {list(shape)} fortran_order True", fortran)
            roundtrip(tool, f"{how} {np.dtype(dt).name}{list(shape)}", f("in.npy"), a, work=work)
    a = values(np.dtype(np.int32), (4, 3, 2), rng)
    np.save(f("in.npy"), a.T)  # a transposed view is F-contiguous: saved as fortran_order True
    roundtrip(tool, "np.save(a.T)", f("in.npy"), np.ascontiguousarray(a.T), work=work)
    print(f"Fortran-order .npy: {'ok' if FAILED == n0 else 'FAILED'}")

    # 5. hand-written headers that numpy loads: keys in any order (fortran_order last), double
    #    quotes, odd spacing. np.load of the same file is the reference for what it means.
    n0 = FAILED
    a = values(np.dtype(np.float32), (3, 4), rng)
    b = values(np.dtype(np.int64), (2, 3, 2), rng)
    hand = [
        ("fortran_order last, True", "{'descr': '<f4', 'shape': (3, 4), 'fortran_order': True}", a,
         a.tobytes(order="F")),
        ("fortran_order last, True, rank 3", "{'descr': '<i8', 'shape': (2, 3, 2), 'fortran_order': True, }",
         b, b.tobytes(order="F")),
        ("fortran_order first", "{'fortran_order': True, 'descr': '>f4', 'shape': (3, 4)}", a,
         a.astype(">f4").tobytes(order="F")),
        ("shape first, False", "{'shape': (3, 4), 'fortran_order': False, 'descr': '<f4'}", a, a.tobytes()),
        ("double quotes, spacing", '{ "descr" : "<i8" ,\t"fortran_order" : False , "shape" : ( 2 , 3 , 2 ) }',
         b, b.tobytes()),
    ]
    for label, header, want, data in hand:
        p = write(f("hand.npy"), npy_bytes(header, data))
        ref = np.load(p)
        if not check(f"hand header '{label}': numpy reads it as the array", same(np.ascontiguousarray(ref).astype(want.dtype), want)):
            continue
        roundtrip(tool, f"hand header '{label}'", p, want, work=work)
    print(f"hand-written .npy headers: {'ok' if FAILED == n0 else 'FAILED'}")

    # 6. .npy format versions 1.0, 2.0, 3.0 (numpy's writer), and a 2.0 header over 64 KiB
    n0 = FAILED
    a = values(np.dtype(np.float64), (2, 3, 4), rng)
    for v in ((1, 0), (2, 0), (3, 0)):
        with open(f("in.npy"), "wb") as fh:
            np.lib.format.write_array(fh, a, version=v)
        check(f"numpy wrote version {v}", npy_header_of(f("in.npy"))[0] == v)
        roundtrip(tool, f".npy version {v[0]}.{v[1]}", f("in.npy"), a, work=work)
    big = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3, 4), }" + " " * 70000
    p = write(f("in.npy"), npy_bytes(big, a.tobytes(), version=(2, 0)))
    roundtrip(tool, ".npy version 2.0, 70 kB header", p, a, work=work)
    print(f".npy versions: {'ok' if FAILED == n0 else 'FAILED'}")

    # 7. malformed files: exit 1, a message naming the file and the problem, nothing written
    n0 = FAILED
    a = values(np.dtype(np.float32), (2, 3), rng)
    good = io.BytesIO()
    np.save(good, a)
    good = good.getvalue()
    hdr = lambda s, data=a.tobytes(), v=(1, 0): npy_bytes(s, data, v)
    F4 = "'descr': '<f4', 'fortran_order': False"
    bad_npy = [
        ("empty file", b"", "bad magic"),
        ("wrong magic", b"\x93NUMPX" + good[6:], "bad magic"),
        ("a .pb named .npy", numpy_helper.from_array(a).SerializeToString(), "bad magic"),
        ("version 4.0", b"\x93NUMPY\x04\x00" + good[8:], "unsupported .npy version 4.0"),
        ("truncated header", good[:11], "header longer than the file"),
        ("header length past EOF", good[:8] + b"\xff\xff" + good[10:40], "header longer than the file"),
        ("v2 file of 11 bytes", b"\x93NUMPY\x02\x00\x00\x00\x00", "truncated header"),
        ("truncated data", good[:-1], "data is 23 bytes, shape and dtype say 6 elements of 4"),
        ("trailing bytes", good + b"\0", "data is 25 bytes"),
        ("shape larger than data", hdr("{" + F4 + ", 'shape': (3, 3), }"), "data is 24 bytes, shape and dtype say 9"),
        ("shape smaller than data", hdr("{" + F4 + ", 'shape': (5,), }"), "data is 24 bytes, shape and dtype say 5"),
        ("huge dims, count overflows", hdr("{" + F4 + ", 'shape': (4294967296, 4294967296, 4294967296), }"),
         "element count overflows"),
        ("huge dim, bytes > file", hdr("{" + F4 + ", 'shape': (4611686018427387904,), }"), "data is 24 bytes"),
        ("dim over int64", hdr("{" + F4 + ", 'shape': (99999999999999999999,), }"), "overflows int64"),
        ("negative dim", hdr("{" + F4 + ", 'shape': (-2, 3), }"), "bad 'shape'"),
        ("rank 9", hdr("{" + F4 + ", 'shape': (1, 1, 1, 1, 1, 1, 2, 1, 3), }"), "rank > 8"),
        ("complex dtype", hdr("{'descr': '<c8', 'fortran_order': False, 'shape': (3,), }"), "unsupported dtype '<c8'"),
        ("unicode dtype", hdr("{'descr': '<U2', 'fortran_order': False, 'shape': (3,), }"), "unsupported dtype '<U2'"),
        ("object dtype", hdr("{'descr': '|O', 'fortran_order': False, 'shape': (3,), }"), "unsupported dtype '|O'"),
        ("structured dtype", hdr("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (6,), }"),
         "bad 'descr'"),
        ("no shape", hdr("{" + F4 + ", }"), "header lacks 'shape'"),
        ("no fortran_order", hdr("{'descr': '<f4', 'shape': (2, 3), }"), "header lacks 'fortran_order'"),
        ("extra key", hdr("{" + F4 + ", 'shape': (2, 3), 'x': 1}"), "unexpected key 'x'"),
        ("key twice", hdr("{" + F4 + ", 'shape': (2, 3), 'shape': (6,)}"), "key 'shape' twice"),
        ("fortran_order 1", hdr("{'descr': '<f4', 'fortran_order': 1, 'shape': (2, 3), }"), "neither True nor False"),
        ("shape (6) without the 1-tuple comma", hdr("{" + F4 + ", 'shape': (6), }"), "'shape' (6) is not a tuple"),
        ("shape a list", hdr("{" + F4 + ", 'shape': [2, 3], }"), "not a tuple"),
        ("not a dict", hdr("('<f4', False, (2, 3))"), "not a dict"),
        ("junk after dict", hdr("{" + F4 + ", 'shape': (2, 3), } x"), "junk after"),
        ("NUL in header", hdr("{" + F4 + ", 'shape': (2, 3), }\0"), "NUL byte"),
    ]
    for label, data, msg in bad_npy:
        expect_error(tool, f"bad .npy '{label}'", write(f("bad.npy"), data), msg, work)

    t = numpy_helper.from_array(a, "a").SerializeToString()
    def proto(**kw):
        return TensorProto(**kw).SerializeToString()
    lie = numpy_helper.from_array(a, "a")
    lie.dims[0] = 3
    typed = helper.make_tensor("t", TensorProto.FLOAT, [2, 3], a.flatten(), raw=False)
    typed.float_data.append(1.0)
    ext = numpy_helper.from_array(a, "a")
    ext.ClearField("raw_data")
    ext.data_location = TensorProto.EXTERNAL
    ext.external_data.add(key="location", value="weights.bin")
    bad_pb = [
        ("truncated", t[:len(t) // 2], ""),
        ("truncated by one byte", t[:-1], ""),
        ("garbage", b"this is not a protobuf\xff\xff\xff", ""),
        ("a .npy named .pb", good, ""),
        ("empty file (no data_type)", b"", "unsupported dtype 0"),
        ("dims lie about raw_data", lie.SerializeToString(), "raw_data is 24 bytes, shape says 36"),
        ("typed values count", typed.SerializeToString(), "7 values for 6 elements"),
        ("huge dims, count overflows", proto(dims=[2**40] * 3, data_type=TensorProto.FLOAT, raw_data=b""),
         "overflows"),
        ("huge dim, raw_data short", proto(dims=[2**61], data_type=TensorProto.FLOAT, raw_data=b""),
         "raw_data is 0 bytes"),
        ("huge dim, bytes overflow size_t", proto(dims=[2**62], data_type=TensorProto.DOUBLE, raw_data=b""),
         "too large"),
        ("negative dim", proto(dims=[-1, 3], data_type=TensorProto.FLOAT, raw_data=b""), "bad dims"),
        ("string tensor", proto(dims=[1], data_type=TensorProto.STRING, string_data=[b"x"]), "unsupported dtype 8"),
        ("complex tensor", proto(dims=[1], data_type=TensorProto.COMPLEX64, raw_data=b"\0" * 8), "unsupported dtype 14"),
        ("rank 9", proto(dims=[1] * 9, data_type=TensorProto.FLOAT, raw_data=b"\0" * 4), "rank 9 > 8"),
        ("external data", ext.SerializeToString(), "external-data"),
    ]
    for label, data, msg in bad_pb:
        expect_error(tool, f"bad .pb '{label}'", write(f("bad.pb"), data), msg, work)

    expect_error(tool, "unknown extension", write(f("x.txt"), good), "unknown tensor file type", work)
    expect_error(tool, "missing file", f("nonexistent.npy"), "No such file", work)
    os.makedirs(f("dir.npy"), exist_ok=True)
    expect_error(tool, "a directory", f("dir.npy"), "not a regular file", work)
    print(f"malformed files: {'ok' if FAILED == n0 else 'FAILED'}")


def expect_error(tool, label, path, msg, work):
    base = os.path.join(work, "err_out")
    for ext in (".npy", ".pb"):
        if os.path.exists(base + ext):
            os.unlink(base + ext)
    rc, out, err = run_tool(tool, path, base + ".npy", base + ".pb")
    check(f"{label}: exit 1", rc == 1, f"rc {rc}, stdout {out.strip()!r}, stderr {err.strip()!r}")
    check(f"{label}: message names the file and says '{msg}'",
          path in err and msg in err and "tensor_roundtrip: " in err, err.strip())
    check(f"{label}: nothing written", not os.path.exists(base + ".npy") and not os.path.exists(base + ".pb"))


def cmd_npy_from_pb(src, dst, flags):
    a = numpy_helper.to_array(load_pb(src))
    if "--big-endian" in flags:
        a = a.astype(a.dtype.newbyteorder(">"))
    if "--fortran" in flags:
        a = np.asfortranarray(a)
    np.save(dst, a)
    v, shape, fortran, dtype = npy_header_of(dst)
    print(f"{dst}: {dtype.str}{list(shape)} fortran_order {fortran}")
    return 0


def cmd_compare(ref_dir, res_dir, rtol=1e-3, atol=1e-4):
    """Every output_<i>.pb in ref_dir against res_dir's <name>.npy (np.load) and output_<i>.pb
    (onnx): dtype and shape exact, values within rtol/atol (compare.py's), NaN == NaN."""
    refs = sorted(glob.glob(os.path.join(ref_dir, "output_*.pb")))
    check(f"{ref_dir} has output_*.pb", bool(refs))
    for r in refs:
        rt = load_pb(r)
        ref = numpy_helper.to_array(rt)
        name = "".join("_" if c in "/\\: " else c for c in rt.name)
        for path in (os.path.join(res_dir, name + ".npy"), os.path.join(res_dir, os.path.basename(r))):
            label = f"{os.path.basename(r)} vs {os.path.relpath(path, res_dir)}"
            if not check(f"{label}: exists", os.path.exists(path)):
                continue
            try:
                got = np.load(path) if path.endswith(".npy") else numpy_helper.to_array(load_pb(path))
            except Exception as e:  # noqa: BLE001
                check(f"{label}: numpy/onnx can read it", False, f"{type(e).__name__}: {e}")
                continue
            if path.endswith(".pb"):
                check(f"{label}: name", load_pb(path).name == rt.name)
            if not check(f"{label}: dtype and shape", got.dtype == ref.dtype and got.shape == ref.shape,
                         f"got {desc(got)}, want {desc(ref)}"):
                continue
            if ref.dtype.kind == "f":
                a64, g64 = ref.astype(np.float64), got.astype(np.float64)
                err = np.abs(a64 - g64)
                bad = ~(err <= atol + rtol * np.abs(a64)) & ~(np.isnan(a64) & np.isnan(g64))
                worst = float(np.nanmax(err)) if err.size else 0.0
                check(f"{label}: values within rtol {rtol} atol {atol}", not bad.any(),
                      f"{int(bad.sum())} of {ref.size} outside (max abs err {worst:.3g})")
                print(f"{label}: max abs err {worst:.3g}")
            else:
                check(f"{label}: values equal", np.array_equal(ref, got))
    return 0


def main(argv):
    if len(argv) >= 3 and argv[0] == "roundtrip":
        cmd_roundtrip(argv[1], argv[2])
    elif len(argv) >= 3 and argv[0] == "npy-from-pb":
        return cmd_npy_from_pb(argv[1], argv[2], argv[3:])
    elif len(argv) == 3 and argv[0] == "compare":
        cmd_compare(argv[1], argv[2])
    else:
        print(__doc__)
        return 64
    print(f"{PASSED} passed, {FAILED} failed")
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
