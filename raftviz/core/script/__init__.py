"""Core room: the script language (SCRIPT.md): parse a script, then execute it on a cluster."""
