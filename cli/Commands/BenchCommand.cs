using System.CommandLine;
using Replayer.Replay.Bench;
using Replayer.Replay.Models;

namespace Replayer.Cli.Commands;

/// <summary>`replayer bench model`: a model's replay speed on a synthetic host, one core.</summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var cmd = new Command("bench", "Measure the replayer's own speed");
        var model = new Option<string>("--model") { Description = $"The model: {string.Join(", ", ModelCatalog.Names)}", DefaultValueFactory = _ => "nested" };
        var events = new Option<int>("--events") { Description = "Events in the synthetic trace", DefaultValueFactory = _ => 2_000_000 };
        var seed = new Option<int>("--seed") { Description = "The synthetic workload's seed", DefaultValueFactory = _ => 1 };
        var rounds = new Option<int>("--rounds") { Description = "Timed replays (the best is reported, after one warm-up)", DefaultValueFactory = _ => 5 };
        var sub = new Command("model", "Replay a synthetic host (fork, exit, wait, kill, ids, containers) through a model; print events/s") { model, events, seed, rounds };
        sub.SetAction(parse =>
        {
            var name = parse.GetValue(model)!;
            int n = parse.GetValue(events);
            if (n < 100) throw new ArgumentException("--events must be at least 100");
            var trace = SyntheticPidWorkload.Generate(n, parse.GetValue(seed));
            ModelBench.Run(ModelCatalog.Create(name), trace);
            double best = 0;
            for (int i = 0; i < Math.Max(1, parse.GetValue(rounds)); i++)
                best = Math.Max(best, ModelBench.Run(ModelCatalog.Create(name), trace));
            long allocated = ModelBench.AllocatedBytes(ModelCatalog.Create(name), trace);
            Console.WriteLine($"{name}: {trace.Count:N0} events, best {best:N0} events/s on one thread, {allocated:N0} bytes allocated in one replay ({(double)allocated / trace.Count:F2} per event)");
            return ExitCodes.Ok;
        });
        cmd.Subcommands.Add(sub);
        return cmd;
    }
}
