from climb_cli.cli import main

main()
