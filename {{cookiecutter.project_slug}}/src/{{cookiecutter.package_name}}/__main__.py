from {{ cookiecutter.package_name }}.cli.main import main

raise SystemExit(main())
