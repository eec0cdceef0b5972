"""UI room: raftviz's Textual widgets and screens, one module each.

Widgets receive plain state (`raftviz.core.sim.events` views and events) and post messages; they
never import Trio or the runtime (an import-linter contract checks it) and never call the
controller: the app turns their requests into commands.
"""

from __future__ import annotations

from raftviz.widgets.cluster_map import ClusterMap, DropMark
from raftviz.widgets.code_pane import CodePane
from raftviz.widgets.event_log import EventLog
from raftviz.widgets.flight_table import FlightTable
from raftviz.widgets.footer import KeyFooter
from raftviz.widgets.help import HelpScreen
from raftviz.widgets.inspector import InspectorScreen
from raftviz.widgets.log_grid import LogGrid
from raftviz.widgets.narration import NarrationBar, NarrationPanel
from raftviz.widgets.output import OutputScreen
from raftviz.widgets.prompt import PromptScreen
from raftviz.widgets.status_bar import StatusBar, StatusInfo

__all__ = [
    "ClusterMap",
    "CodePane",
    "DropMark",
    "EventLog",
    "FlightTable",
    "HelpScreen",
    "InspectorScreen",
    "KeyFooter",
    "LogGrid",
    "NarrationBar",
    "NarrationPanel",
    "OutputScreen",
    "PromptScreen",
    "StatusBar",
    "StatusInfo",
]
