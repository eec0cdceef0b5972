"""Core room: etcd/raft's text formats (messages, entries, Ready, log lines) and the driver of
its datadriven interaction files (`raftviz conform`)."""
