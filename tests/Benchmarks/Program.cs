using System.Diagnostics;
using Replayer.Ingest.Formats;

// Reader throughput on one core: `dotnet run -c Release --project tests/Benchmarks -- FORMAT FILE [RUNS]`
// (pin it with taskset -c N). Reads FILE with the named reader RUNS times (default 3) and prints
// lines/s and events/s of each run and the best; nothing is stored, so this is the reader alone.
if (args.Length < 2)
{
    Console.Error.WriteLine("usage: ReaderBench FORMAT FILE [RUNS]");
    return 2;
}
var reader = CaptureFormats.All.Single(r => r.Format == args[0]);
int runs = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 3;
double best = 0;
for (int run = 0; run < runs; run++)
{
    var input = InputFile.Open(args[1]);
    var context = new ReadContext(lenient: false);
    long events = 0;
    var cpu = Process.GetCurrentProcess().TotalProcessorTime;
    var clock = Stopwatch.StartNew();
    using (input.Stream)
    {
        foreach (var _ in reader.Read(input, context)) events++;
    }
    clock.Stop();
    // CPU time too: on a shared machine the wall clock counts other processes' turns.
    double cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
    double lps = context.Lines / clock.Elapsed.TotalSeconds;
    best = Math.Max(best, lps);
    Console.WriteLine($"run {run + 1}: {context.Lines:N0} lines, {events:N0} events in {clock.Elapsed.TotalSeconds:F3} s ({cpuSeconds:F3} s CPU): " +
        $"{lps:N0} lines/s, {context.Lines / cpuSeconds:N0} lines per CPU-second, GC gen0 {GC.CollectionCount(0)}");
}
Console.WriteLine($"best: {best:N0} lines/s ({args[0]}, {Path.GetFileName(args[1])})");
return 0;
