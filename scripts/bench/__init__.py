"""The benchmarks, one module per section, all run against a local stack on free ports.

  * ``python -m bench`` (`make bench`): every figure of docs/PERFORMANCE.md from ONE stack, in ONE table;
  * ``python -m bench.local_stack`` (`make bench-dev`): ready time, the gateway's added latency, memory;
  * ``python -m bench.websocket`` (`make bench-ws`): broadcast to N listeners and DELETE with them connected;
  * ``python -m bench.fanout`` (`make bench-fanout`): one segment to 1 000 WebSocket and 10 000
    modelled listeners, the deployed broadcast vs one invocation's fan-out (also part of `make bench`);
  * ``python -m bench.zips``: zip sizes and cold starts of built zips, no stack (compares dist folders).

Run from the repository root with ``scripts`` on the path (the Makefile sets ``PYTHONPATH=scripts``).
The pure half (percentiles, verdicts, rendering) is babelcast_devstack.bench_report.
"""
