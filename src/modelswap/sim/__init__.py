"""Simulated model providers speaking the real OpenAI and Anthropic wire formats.

Stands in for the vendors' clouds in tests and benchmarks: deterministic answers whose
correctness follows each model's quality profile, realistic latency and faults, golden
sets whose truth the simulator knows, and a traffic generator.
"""

from modelswap.sim.engine import FAULT_HEADER, WORKLOAD_HEADER, SimEngine
from modelswap.sim.golden import GOLDEN_SETS, GoldenCase, case_passes, load_golden
from modelswap.sim.profiles import ModelProfile, ProfileOverride, SimConfig, resolve_profiles
from modelswap.sim.server import RunningSim, build_app, run_sim, start_sim
from modelswap.sim.traffic import TrafficSpec, TrafficSummary, run_traffic
from modelswap.sim.workloads import SYSTEM_PROMPTS, TOOLS

__all__ = [
    "FAULT_HEADER",
    "GOLDEN_SETS",
    "SYSTEM_PROMPTS",
    "TOOLS",
    "WORKLOAD_HEADER",
    "GoldenCase",
    "ModelProfile",
    "ProfileOverride",
    "RunningSim",
    "SimConfig",
    "SimEngine",
    "TrafficSpec",
    "TrafficSummary",
    "build_app",
    "case_passes",
    "load_golden",
    "resolve_profiles",
    "run_sim",
    "run_traffic",
    "start_sim",
]
