import ArgumentParser
MTPCommand.main()
