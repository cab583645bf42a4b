using System.Diagnostics;
using System.Text;

namespace Replayer.Tests.Support;

/// <summary>Runs the real `replayer` binary (built beside the tests) as a user would, in a child process.</summary>
public static class ReplayerProcess
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static string Dll => Path.Combine(AppContext.BaseDirectory, "replayer.dll");

    public static Result Run(string store, params string[] args) => RunWith(store, null, args);

    /// <summary>A replayer running in the background (a worker): its output is collected as it comes, so it never blocks on a full pipe.</summary>
    public sealed class Running : IDisposable
    {
        private readonly StringBuilder _stdout = new(), _stderr = new();

        public Running(string store, string[] args)
        {
            var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            psi.ArgumentList.Add(Dll);
            foreach (var a in args) psi.ArgumentList.Add(a);
            psi.Environment["REPLAYER_STORE"] = store;
            Process = Process.Start(psi)!;
            Process.OutputDataReceived += (_, e) => { lock (_stdout) _stdout.AppendLine(e.Data); };
            Process.ErrorDataReceived += (_, e) => { lock (_stderr) _stderr.AppendLine(e.Data); };
            Process.BeginOutputReadLine();
            Process.BeginErrorReadLine();
        }

        public Process Process { get; }
        public string Stdout { get { lock (_stdout) return _stdout.ToString(); } }
        public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }

        /// <summary>Waits for the exit; a process still running after the timeout is killed and the wait fails.</summary>
        public async Task<int> ExitAsync(TimeSpan timeout)
        {
            using var cts = new CancellationTokenSource(timeout);
            try
            {
                await Process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                Process.Kill(entireProcessTree: true);
                throw new TimeoutException($"replayer did not exit in {timeout}; stderr: {Stderr}");
            }
            Process.WaitForExit();
            return Process.ExitCode;
        }

        public void Dispose()
        {
            if (!Process.HasExited) Process.Kill(entireProcessTree: true);
            Process.Dispose();
        }
    }

    public static Running Start(string store, params string[] args) => new(store, args);

    public static Result RunWith(string store, string? stdin, params string[] args) => RunWith(store, stdin, null, args);

    /// <summary>As <see cref="RunWith(string, string?, string[])"/>, with <paramref name="environment"/> set for the child too.</summary>
    public static Result RunWith(string store, string? stdin, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["REPLAYER_STORE"] = store;
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (stdin is not null) p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        if (!p.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"replayer {string.Join(' ', args)} did not finish in 5 minutes");
        }
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }
}
