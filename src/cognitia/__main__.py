from cognitia.cli import main

main()
