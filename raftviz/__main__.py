from raftviz.cli import main

raise SystemExit(main())
