from kgov.cli import program

program()
