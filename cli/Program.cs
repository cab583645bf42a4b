using System.CommandLine;
using Replayer.Cli;
using Replayer.Cli.Commands;

var root = new RootCommand("""
    replayer: replays real kernel pid activity (fork, exec, exit, setpgid, setsid, kill, wait) through
    two designs for container pids, OpenVZ's flat virtual pids and Linux's nested pid namespaces,
    and reports where they diverge.
    """);
root.Options.Add(StoreOptions.Store);
root.Subcommands.Add(CaptureCommand.Create());
root.Subcommands.Add(IngestCommand.Create());
root.Subcommands.Add(TracesCommand.Create());
root.Subcommands.Add(ValidateCommand.Create());
root.Subcommands.Add(ReplayCommand.Create());
root.Subcommands.Add(ReportCommand.Create());
root.Subcommands.Add(BatchCommand.Create());
root.Subcommands.Add(WorkerCommand.Create());
root.Subcommands.Add(GenerateCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(WhatIfCommand.Create());
JitProfile.Start(root, args);
return await Run.InvokeAsync(root, args);
