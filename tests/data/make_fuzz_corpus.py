#!/usr/bin/env python3
"""Writes the seed corpus for the data parsers' fuzz targets (tests/fuzz/fuzz_{idx,npy,csv}.cc)
into tests/fuzz/corpus/{idx,npy,csv}/: a few tiny valid files and one of each kind of bad file.
Standard library only. Run from the repository root: python3 tests/data/make_fuzz_corpus.py"""
import gzip
import os
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fuzz", "corpus")


def write(name, data):
    path = os.path.join(ROOT, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def idx(dims, data, typ=0x08):
    return bytes([0, 0, typ, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + bytes(data)


def gz(data):
    return gzip.compress(data, mtime=0)


def npy(dict_text, data, major=1):
    header = dict_text.encode()
    pre = 10 if major == 1 else 12
    header += b" " * ((64 - (pre + len(header) + 1) % 64) % 64) + b"\n"
    length = struct.pack("<H", len(header)) if major == 1 else struct.pack("<I", len(header))
    return b"\x93NUMPY" + bytes([major, 0]) + length + header + data


write("idx/labels_1d.idx", idx([6], [9, 0, 0, 3, 0, 2]))
write("idx/images_3d.idx", idx([2, 3, 3], range(18)))
write("idx/images_3d.gz", gz(idx([2, 3, 3], range(18))))
write("idx/two_members.gz", gz(idx([4], [1, 2])) + gz(bytes([3, 4])))
write("idx/truncated_data.idx", idx([4, 4], range(10)))
write("idx/truncated_header.idx", idx([60000, 28, 28], [])[:9])
write("idx/bad_magic.idx", b"PK\x03\x04" + bytes(12))
write("idx/float_type.idx", idx([2], [0] * 8, typ=0x0D))
write("idx/huge_claim.idx", idx([4000000000, 28, 28], range(16)))
write("idx/huge_claim.gz", gz(idx([4000000000, 28, 28], range(16))))
write("idx/truncated.gz", gz(idx([8, 8], range(64)))[:30])

write("npy/f4_2.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", struct.pack("<2f", 1.5, -2)))
write("npy/u1_2x3.npy", npy("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3), }", bytes(range(6))))
write("npy/i8_scalar.npy", npy("{'descr': '<i8', 'fortran_order': False, 'shape': (), }", struct.pack("<q", 7)))
write("npy/i4_v2.npy", npy("{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }", struct.pack("<3i", 1, 2, 3), 2))
write("npy/f8_v3.npy", npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1), }", struct.pack("<d", 0.5), 3))
write("npy/fortran.npy", npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", bytes(8)))
write("npy/big_endian.npy", npy("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", bytes(8)))
write("npy/truncated.npy", npy("{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }", bytes(20)))
write("npy/huge_shape.npy",
      npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4000000000, 4000000000, 4000000000), }", b""))
write("npy/bad_dict.npy", npy("{'descr' '<f4', 'shape': (2,)}", bytes(8)))

write("csv/basic.csv", b"x1,x2,color,label\n1.5,-2,red,0\n+3,1e3,blue,2\n0.25,.5,red,1\n")
write("csv/quoted_crlf_bom.csv",
      b'\xef\xbb\xbf"x","name",label\r\n1,"Smith, ""Jr""",0\r\n\r\n2,"two\nlines",1\r\n"3",plain,1')
write("csv/string_labels.csv", b"a,b,label\n1,2,dog\n3,4,cat\n5,6,dog\n")
write("csv/mixed_categorical.csv", b"x,size,label\n1,S,0\n2,M,0\n3,7,1\n4,L,1\n")
write("csv/ragged.csv", b"a,b,label\n1,2,0\n3,4\n")
write("csv/nan.csv", b"a,b,label\n1,nan,0\n2,3,1\n")
write("csv/stray_word.csv", b"a,b,label\n1,2,0\n3,abc,1\n4,5,0\n")
write("csv/unterminated.csv", b'a,b,label\n1,"open,0\n')
write("csv/negative_label.csv", b"a,label\n1,0\n2,-1\n")
