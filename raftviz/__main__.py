from raftviz.cli import entry

entry()
