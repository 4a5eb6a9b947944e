from docshelf.cli.main import main

main()
