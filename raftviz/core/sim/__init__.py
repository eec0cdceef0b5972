"""Core room: the simulated world around the Raft nodes: the discrete-event cluster, the
network, the online safety checks and the typed events everything else consumes."""
