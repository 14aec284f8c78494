return MobileNetAccel.Cli.CliMain.Run(args);
