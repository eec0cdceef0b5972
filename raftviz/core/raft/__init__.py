"""Core room, the etcd port: the Raft state machine with etcd/raft v3.6 semantics (raft, rawnode,
log, tracker, quorum, messages). It imports no other room and stays byte-exact with etcd."""
