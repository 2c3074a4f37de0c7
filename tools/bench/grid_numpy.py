"""The sma-cross grid of tools/bench/grid.ts, vectorised with NumPy (the way vectorbt computes it).

Run by grid.ts in the same run: python3 tools/bench/grid_numpy.py INPUT.json
INPUT.json: {"bars": FILE (float64 open, close columns, little-endian, n each), "n": N,
"pairs": [[fast, slow], ...], "initialCash": X, "feeBps": X, "slippageBps": X, "barsPerYear": N, "repeats": N}.
Prints one JSON line: seconds (wall) and cpuSeconds (the fastest of the repeats), and each pair's final equity, totalReturn, sharpe,
maxDrawdown, trades (in pair order).

What it models (the backtester's convention, libs/backtest/README.md, with floats instead of
micro-units): SMA(fast) > SMA(slow) at a close, decided exactly on integer window sums (closes in
micro-units, int64), so ties decide as the backtester does; the decision fills at the next open;
all-in on a buy (fractional shares, cash / (open x (1 + slippage) x (1 + fee))), all-out on a sell
(shares x open x (1 - slippage) x (1 - fee)); fees in basis points of the fill's notional, slippage
in basis points of the open; equity marked at each close. It does not model rounding to micro-units,
fixed or per-share fees, minimum fees or whole shares: with basis-point costs only, its final equity
differs from the exact engine's by rounding alone.
"""
import json
import sys
import time

import numpy as np

CHUNK = 256  # pairs per vectorised block: bounds memory to a few dozen MB


def run(spec):
    raw = np.fromfile(spec["bars"], dtype="<f8")
    n = spec["n"]
    open_, close = raw[:n], raw[n : 2 * n]
    pairs = np.asarray(spec["pairs"], dtype=np.int64)
    fee = spec["feeBps"] / 1e4
    slip = spec["slippageBps"] / 1e4
    cash0 = spec["initialCash"]
    per_year = spec["barsPerYear"]

    units = np.round(close * 1e6).astype(np.int64)
    if not np.array_equal(units / 1e6, close):
        raise SystemExit("closes are not exact micro-units")
    prefix = np.concatenate(([0], np.cumsum(units)))
    largest = int(pairs.max())
    # Each window's sums once, shared by every pair (row w: windows of w bars ending at each bar).
    sums = np.zeros((largest + 1, n), dtype=np.int64)
    for w in range(1, largest + 1):
        sums[w, w - 1 :] = prefix[w:] - prefix[: n + 1 - w]

    bar = np.arange(n)
    hold_return = np.ones(n)
    hold_return[1:] = close[1:] / close[:-1]
    entry_return = close / (open_ * (1 + slip) * (1 + fee))
    exit_return = np.ones(n)
    exit_return[1:] = open_[1:] * (1 - slip) * (1 - fee) / close[:-1]

    out = {"final": [], "totalReturn": [], "sharpe": [], "maxDrawdown": [], "trades": []}
    for start in range(0, len(pairs), CHUNK):
        fast = pairs[start : start + CHUNK, 0][:, None]
        slow = pairs[start : start + CHUNK, 1][:, None]
        signal = (sums[fast[:, 0]] * slow > sums[slow[:, 0]] * fast) & (bar >= slow - 1)
        held = np.zeros_like(signal)
        held[:, 1:] = signal[:, :-1]  # decided at the close, filled at the next open
        before = np.zeros_like(held)
        before[:, 1:] = held[:, :-1]
        factor = np.where(held, np.where(before, hold_return, entry_return), np.where(before, exit_return, 1.0))
        equity = cash0 * np.cumprod(factor, axis=1)
        returns = factor[:, 1:] - 1
        mean = returns.mean(axis=1)
        std = returns.std(axis=1, ddof=1)
        peak = np.maximum(np.maximum.accumulate(equity, axis=1), cash0)
        out["final"].extend(equity[:, -1].tolist())
        out["totalReturn"].extend((equity[:, -1] / cash0 - 1).tolist())
        out["sharpe"].extend(np.where(std > 0, mean / np.where(std > 0, std, 1) * np.sqrt(per_year), 0).tolist())
        out["maxDrawdown"].extend((1 - equity / peak).max(axis=1).tolist())
        out["trades"].extend((held & ~before).sum(axis=1).tolist())
    return out


def main():
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    walls, cpus = [], []
    for _ in range(spec.get("repeats", 1)):
        wall, cpu = time.perf_counter(), time.process_time()
        out = run(spec)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    # The fastest of the repeats, as for ours: the machine may be shared.
    out["seconds"] = min(walls)
    out["cpuSeconds"] = min(cpus)
    out["numpy"] = np.__version__
    print(json.dumps(out))


if __name__ == "__main__":
    main()
