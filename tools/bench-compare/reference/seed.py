"""The seed system in Python, kept as the reference that `cargo xtask bench --compare` times.

jianghu replaces a small PyTorch program (the "seed"): jieba word segmentation, an
Embedding -> nn.LSTM -> Linear language model trained with Adam, and a one-token-at-a-time
multinomial sampler. This file re-creates its hot paths, written by us from that description,
so that the Rust stages can be timed against it on the same input and shape:

    seed.py preprocess DIR           read *.txt, strip, segment, build the dictionary and ids
    seed.py train --vocab V ...      time training steps on Zipf-like random ids
    seed.py generate --vocab V ...   time sampling: a 2-token prompt, then --tokens tokens
    seed.py machine                  fp32 matmul GFLOP/s and memory bandwidth of this machine

Each prints one JSON object on stdout (timings in seconds); progress and warnings go to
stderr. Timings exclude interpreter start and imports, which the comparison harness
(tools/bench-compare) measures from outside.
"""

import argparse
import json
import os
import sys
import time
import warnings

# torch warns on import when numpy is missing; the seed never needs numpy.
warnings.filterwarnings("ignore", message="Failed to initialize NumPy")

import torch  # noqa: E402
from torch import nn  # noqa: E402

EOS = "<eos>"


class Dictionary:
    """Word <-> id, ids in order of first appearance (as the seed's dictionary)."""

    def __init__(self):
        self.word2idx = {}
        self.idx2word = []

    def add_word(self, word):
        idx = self.word2idx.get(word)
        if idx is None:
            idx = len(self.idx2word)
            self.word2idx[word] = idx
            self.idx2word.append(word)
        return idx


def read_text(path):
    """The file's text: UTF-8, else GB18030 (what Chinese txt sites serve)."""
    with open(path, "rb") as f:
        data = f.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace")


def preprocess(args):
    """The seed's preprocessing: strip spaces, U+3000 and tabs from every line, segment it with
    `jieba.lcut(line) + ['<eos>']`, add every word to the dictionary and keep its id; the ids
    end as one LongTensor. Each line is segmented once (the seed's two-pass reading would only
    make the reference slower). Blank lines are skipped, as the clean stage drops them."""
    import jieba

    jieba.setLogLevel(60)
    started = time.perf_counter()
    jieba.initialize()
    dictionary_loaded = time.perf_counter()
    paths = sorted(
        os.path.join(args.corpus, name)
        for name in os.listdir(args.corpus)
        if name.endswith(".txt")
    )
    if not paths:
        sys.exit(f"seed.py preprocess: no .txt files in {args.corpus}")
    dictionary = Dictionary()
    ids = []
    chars = 0
    for path in paths:
        for line in read_text(path).splitlines():
            line = line.replace(" ", "").replace("\u3000", "").replace("\t", "").strip()
            if not line:
                continue
            chars += len(line)
            for word in jieba.lcut(line) + [EOS]:
                ids.append(dictionary.add_word(word))
    tensor = torch.LongTensor(ids)
    finished = time.perf_counter()
    return {
        "files": len(paths),
        "chars": chars,
        "tokens": int(tensor.numel()),
        "vocab": len(dictionary.idx2word),
        "dictionary_load_s": dictionary_loaded - started,
        "seconds": finished - started,
    }


class SeedModel(nn.Module):
    """Embedding -> dropout -> nn.LSTM(batch_first) -> dropout -> Linear: the seed's model."""

    def __init__(self, vocab, embed, hidden, layers, dropout):
        super().__init__()
        self.drop = nn.Dropout(dropout)
        self.embedding = nn.Embedding(vocab, embed)
        self.lstm = nn.LSTM(
            embed, hidden, layers, dropout=dropout if layers > 1 else 0.0, batch_first=True
        )
        self.output = nn.Linear(hidden, vocab)
        self.layers = layers
        self.hidden = hidden

    def forward(self, tokens, state):
        out, state = self.lstm(self.drop(self.embedding(tokens)), state)
        return self.output(self.drop(out)), state

    def init_hidden(self, batch):
        zeros = torch.zeros(self.layers, batch, self.hidden)
        return (zeros, zeros.clone())


def build_model(args):
    torch.manual_seed(args.seed)
    return SeedModel(args.vocab, args.embed, args.hidden, args.layers, args.dropout)


def zipf_ids(rows, cols, vocab):
    """Ids where small ids are frequent, as a frequency-ordered vocabulary makes them (the same
    law as the Rust benchmark: floor(u^4 * V) for uniform u)."""
    u = torch.rand(rows, cols)
    return (u.pow(4.0) * vocab).long().clamp(0, vocab - 1)


def train(args):
    """The seed's training step, timed one step at a time after `--warmup` untimed steps:
    forward, CrossEntropyLoss, backward, clip_grad_norm_(0.5), Adam, detached hidden state and
    `loss.item()` (the seed logs the loss)."""
    model = build_model(args)
    model.train()
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    ids = zipf_ids(args.batch, args.seq + 1, args.vocab)
    inputs, targets = ids[:, :-1], ids[:, 1:]
    state = model.init_hidden(args.batch)
    step_seconds = []
    losses = []
    for step in range(args.warmup + args.steps):
        started = time.perf_counter()
        output, state = model(inputs, state)
        loss = criterion(output.reshape(-1, args.vocab), targets.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 0.5)
        optimizer.step()
        state = tuple(s.detach() for s in state)
        losses.append(loss.item())
        if step >= args.warmup:
            step_seconds.append(time.perf_counter() - started)
    return {
        "tokens_per_step": args.batch * args.seq,
        "step_seconds": step_seconds,
        "first_loss": losses[0],
        "last_loss": losses[-1],
    }


def generate(args):
    """The seed's sampler at batch 1: after a 2-token prompt, softmax(logits / T), one
    torch.multinomial draw, `.item()` to look the word up, and the next forward on that token.
    One iteration makes `--tokens` tokens, like the Rust decode benchmark."""
    model = build_model(args)
    model.eval()
    generator = torch.Generator().manual_seed(args.seed)
    iteration_seconds = []
    with torch.no_grad():
        for iteration in range(args.warmup + args.iterations):
            started = time.perf_counter()
            state = model.init_hidden(1)
            logits, state = model(torch.tensor([[2, 3]]), state)
            words = []
            for _ in range(args.tokens):
                probs = torch.softmax(logits[0, -1] / args.temperature, dim=-1)
                word = torch.multinomial(probs, 1, generator=generator).item()
                words.append(word)
                logits, state = model(torch.tensor([[word]]), state)
            if iteration >= args.warmup:
                iteration_seconds.append(time.perf_counter() - started)
    return {"tokens_per_iteration": args.tokens, "iteration_seconds": iteration_seconds}


def best_seconds(fn, repeats):
    """The fastest of `repeats` timed calls (after one untimed call): the machine's capability,
    with as little of the other load on a shared machine as possible."""
    fn()
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


def machine(args):
    """What bounds the figures: fp32 matmul rate (n x n by n x n, 2n^3 FLOPs) and memory
    bandwidth, as a copy (bytes read + written) and a sum (bytes read) of a tensor far larger
    than any cache."""
    n = args.matmul_size
    a, b = torch.randn(n, n), torch.randn(n, n)
    out = torch.empty(n, n)
    matmul_s = best_seconds(lambda: torch.mm(a, b, out=out), args.repeats)
    elements = args.stream_mib * (1 << 20) // 4
    src, dst = torch.ones(elements), torch.empty(elements)
    copy_s = best_seconds(lambda: dst.copy_(src), args.repeats)
    sum_s = best_seconds(lambda: src.sum(), args.repeats)
    bytes_ = elements * 4
    return {
        "matmul_size": n,
        "matmul_gflops": 2 * n**3 / matmul_s / 1e9,
        "copy_gb_per_s": 2 * bytes_ / copy_s / 1e9,
        "read_gb_per_s": bytes_ / sum_s / 1e9,
        "stream_mib": args.stream_mib,
    }


def model_arguments(parser):
    parser.add_argument("--vocab", type=int, required=True)
    parser.add_argument("--embed", type=int, required=True)
    parser.add_argument("--hidden", type=int, required=True)
    parser.add_argument("--layers", type=int, required=True)
    parser.add_argument("--dropout", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--warmup", type=int, default=1, help="untimed repetitions first")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("preprocess", help="time the seed's preprocessing of a corpus")
    p.add_argument("corpus", help="a folder of .txt files")
    p.set_defaults(run=preprocess)

    p = sub.add_parser("train", help="time training steps")
    model_arguments(p)
    p.add_argument("--batch", type=int, required=True)
    p.add_argument("--seq", type=int, required=True)
    p.add_argument("--steps", type=int, default=10, help="timed steps")
    p.set_defaults(run=train)

    p = sub.add_parser("generate", help="time batch-1 sampling")
    model_arguments(p)
    p.add_argument("--tokens", type=int, default=16, help="tokens per iteration")
    p.add_argument("--iterations", type=int, default=10, help="timed iterations")
    p.add_argument("--temperature", type=float, default=0.8)
    p.set_defaults(run=generate)

    p = sub.add_parser("machine", help="measure matmul GFLOP/s and memory bandwidth")
    p.add_argument("--matmul-size", type=int, default=2048)
    p.add_argument("--stream-mib", type=int, default=512)
    p.add_argument("--repeats", type=int, default=5)
    p.set_defaults(run=machine)

    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    result = args.run(args)
    result["threads"] = torch.get_num_threads()
    result["torch"] = torch.__version__
    json.dump(result, sys.stdout)
    print()


if __name__ == "__main__":
    main()
