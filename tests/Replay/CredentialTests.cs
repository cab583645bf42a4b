using Replayer.Ingest.Events;
using Replayer.Ingest.Formats;
using Replayer.Tests.Support;
using Replayer.Replay.Models;
using Replayer.Replay.Validation;
using Replayer.Tests.Replay.Nested;
using Xunit;

namespace Replayer.Tests.Replay;

/// <summary>
/// A kill's permission check (check_kill_permission, kill_ok_by_cred) in both models: the real
/// captures of a workload that signals as nobody, where the kernel answered EPERM, and the rules
/// of Creds one by one.
/// </summary>
public sealed class CredentialTests
{
    private const int SIGTERM = 15, SIGCONT = 18, EPERM = 1;

    [Theory]
    [InlineData("traces/captures/l-unprivileged.txt")]
    [InlineData("traces/strace/unprivileged.txt")]
    public void Kills_the_kernel_refused_for_credentials_are_predicted_refused_by_both_models(string capture)
    {
        var (events, ptraced) = RealCapturesValidateTests.Read(capture);
        var settings = new ModelSettings { Ptraced = ptraced };
        Assert.True(Validator.Run(capture, "nested", events, settings).Clean);
        // The workload: as nobody, SIGTERM to root's sleep and signal 0 to init are refused; SIGCONT
        // to the same sleep is not (the caller's session); python's setresuid(65534, 65534, 0) is
        // refused signal 0 until setresuid(-1, 0, -1) gives back the effective uid 0 and CAP_KILL.
        var refused = events.OfType<Kill>().Where(k => k.Ret == -EPERM).ToList();
        Assert.Equal(3, refused.Count);
        Assert.Contains(refused, k => k.Sig == SIGTERM);
        Assert.Contains(refused, k => k is { Pid: 1, Sig: 0 });
        var cont = Assert.Single(events.OfType<Kill>(), k => k.Sig == SIGCONT);
        Assert.Equal(0L, cont.Ret);
        // Whether the SIGCONT's caller and target share a session, and who pid 1 is, needs the
        // /proc snapshot, which strace does not take: there those answers are left unknown, not guessed.
        bool snapshot = events.OfType<TaskSnapshot>().Any(s => !s.Adopted && s.Sid > 0);
        foreach (var name in new[] { "nested", "vpid" })
        {
            var model = ModelCatalog.Create(name, settings);
            var o = new Outcome();
            var checkedKills = 0;
            foreach (var ev in events)
            {
                model.Apply(ev, o);
                if (ev is not Kill k || !(refused.Contains(k) || k == cont || k.Sig == 0)) continue;
                if (!snapshot && (k == cont || k.Pid == 1))
                {
                    // The nested model says it does not know; the patch's model, which no kernel
                    // answers for, goes by what it has (no pid 1 on its host: ESRCH).
                    if (name == "nested") Assert.Equal(Verdict.UnknownState, o.Verdict);
                    continue;
                }
                Assert.True(o.Verdict == Verdict.Predicted && o.HasRet, $"{name}: {k} is {o.Verdict} ({o.Note})");
                Assert.Equal(k.Ret, o.Ret);
                if (k.Ret == -EPERM) Assert.Empty(o.Signals); // refused: nothing generated
                checkedKills++;
            }
            Assert.Equal(snapshot ? 5 : 3, checkedKills); // the three refused, SIGCONT, and python's signal 0 as root again
        }
    }

    private static Creds Nobody => new() { Ruid = 65534, Euid = 65534, Suid = 65534 };

    private static Tri May(Creds cur, Creds t, int sig = SIGTERM, Tri sameSession = Tri.No) => Creds.MayKill(cur, t, sig, sameSession);

    [Fact]
    public void A_caller_may_signal_a_task_of_its_uid_or_with_CAP_KILL_and_SIGCONT_within_its_session()
    {
        Assert.Equal(Tri.Yes, May(Nobody, Nobody));
        Assert.Equal(Tri.Yes, May(Creds.Root, Nobody));
        Assert.Equal(Tri.No, May(Nobody, Creds.Root));
        Assert.Equal(Tri.Yes, May(Nobody, Creds.Root, SIGCONT, Tri.Yes));
        Assert.Equal(Tri.Unknown, May(Nobody, Creds.Root, SIGCONT, Tri.Unknown));
        // The caller's real uid against the target's saved uid counts too; the caller's saved uid does not.
        Assert.Equal(Tri.Yes, May(Nobody with { Euid = 1000 }, Creds.Root with { Suid = 65534 }));
        Assert.Equal(Tri.No, May(Nobody with { Suid = 0 }, Creds.Root));
        Assert.Equal(Tri.Unknown, May(Nobody with { Euid = Creds.UnknownUid }, Creds.Root));
        Assert.Equal(Tri.Unknown, May(Nobody with { CapsUnknown = true }, Creds.Root));
    }

    [Fact]
    public void A_caller_in_another_user_namespace_has_no_capability_over_the_captures()
    {
        var inside = Creds.Root;
        inside.EnterNewUserNs();
        Assert.Equal(Tri.No, May(inside with { Ruid = 1000, Euid = 1000, Suid = 1000 }, Creds.Root));
        Assert.Equal(Tri.Yes, May(inside, Creds.Root)); // the same kuid 0
        Assert.Equal(Tri.Yes, May(Creds.Root, inside with { Ruid = 5, Euid = 5, Suid = 5 }));
        Assert.Equal(Tri.Unknown, May(Nobody, inside with { Ruid = 5, Euid = 5, Suid = 5 })); // it may own that namespace
    }

    [Fact]
    public void Setuid_calls_change_the_uids_and_the_capabilities_as_the_kernel_does()
    {
        // setresuid keeping a saved uid of 0: the effective set goes, the permitted stays; back to
        // an effective 0, the effective set comes back from the permitted.
        var c = Creds.Root;
        c.Apply(new SetCred { Call = CredCall.SetResUid, Ruid = 65534, Euid = 65534, Suid = 0 });
        Assert.Equal((65534, 65534, 0, Creds.Kill | Creds.SetUid, 0), (c.Ruid, c.Euid, c.Suid, (int)c.Prm, (int)c.Eff));
        c.Apply(new SetCred { Call = CredCall.SetResUid, Ruid = -1, Euid = 0, Suid = -1 });
        Assert.Equal(Creds.Kill | Creds.SetUid, (int)c.Eff);

        // setuid by root (CAP_SETUID): all three uids, and leaving root empties the sets.
        c = Creds.Root;
        c.Apply(new SetCred { Call = CredCall.SetUid, Euid = 65534 });
        Assert.Equal((65534, 65534, 65534, 0, 0), (c.Ruid, c.Euid, c.Suid, (int)c.Prm, (int)c.Eff));

        // setuid without CAP_SETUID: the effective uid only.
        c = Nobody with { Suid = 0, Prm = 0, Eff = 0 };
        c.Apply(new SetCred { Call = CredCall.SetUid, Euid = 0 });
        Assert.Equal((65534, 0, 0), (c.Ruid, c.Euid, c.Suid));

        // setreuid: the saved uid follows a new effective one when the real one is set.
        c = Creds.Root;
        c.Apply(new SetCred { Call = CredCall.SetReUid, Ruid = 65534, Euid = -1 });
        Assert.Equal((65534, 0, 0), (c.Ruid, c.Euid, c.Suid));
        c.Apply(new SetCred { Call = CredCall.SetReUid, Ruid = -1, Euid = 1000 });
        Assert.Equal((65534, 1000, 1000, 0), (c.Ruid, c.Euid, c.Suid, (int)c.Prm));

        // capset hides the sets until an exec gives them again.
        c = Creds.Root;
        c.Apply(new SetCred { Call = CredCall.Capset });
        Assert.Equal(Tri.Unknown, May(c with { Ruid = 1, Euid = 1, Suid = 1 }, Nobody));
        c.Exec();
        Assert.False(c.CapsUnknown);
        Assert.True(c.KillsAny);

        // uids passed inside another user namespace are that namespace's.
        c = Creds.Root;
        c.EnterNewUserNs();
        c.Apply(new SetCred { Call = CredCall.SetResUid, Ruid = 0, Euid = 0, Suid = 0 });
        Assert.Equal(Creds.UnknownUid, c.Euid);
    }

    [Fact]
    public void Exec_and_prctl_give_the_sets_a_file_without_set_user_ID_or_capabilities_leaves()
    {
        // Root's permitted set becomes the bounding set: a dropped CAP_KILL is gone after exec.
        var c = Creds.Root;
        c.Prctl(Prctl.CapBsetDrop, 5, 0);
        Assert.True(c.KillsAny);
        c.Exec();
        Assert.False(c.KillsAny);
        Assert.Equal(Creds.SetUid, (int)c.Eff);

        // A non-root task gets its ambient set; an effective uid other than 0 leaves root's real uid no effective set.
        c = Nobody;
        c.Prctl(Prctl.CapAmbient, Prctl.AmbientRaise, 5);
        c.Exec();
        Assert.Equal(Creds.Kill, (int)c.Eff);
        c = Creds.Root with { Euid = 65534, Suid = 65534 };
        c.Exec();
        Assert.Equal(0, (int)c.Eff);
        Assert.Equal(Creds.Kill | Creds.SetUid, (int)c.Prm);

        // Securebits that change the rules leave what setuid and exec do not known.
        c = Creds.Root;
        c.Prctl(Prctl.SetSecureBits, 0x10 /* SECBIT_KEEP_CAPS */, 0);
        c.Apply(new SetCred { Call = CredCall.SetUid, Euid = 65534 });
        Assert.True(c.CapsUnknown);
        c.Exec();
        Assert.True(c.CapsUnknown);
    }

    [Fact]
    public void A_snapshot_without_credentials_is_root_and_one_with_them_is_read_as_given()
    {
        Assert.True(Creds.FromSnapshot(new TaskSnapshot()).KillsAny);
        var nobody = Creds.FromSnapshot(new TaskSnapshot { Uids = [65534, 65534, 65534], CapPrm = 0, CapEff = 0, CapBnd = ulong.MaxValue, CapAmb = 0 });
        Assert.Equal(Tri.No, May(nobody, Creds.Root));
        var noCaps = Creds.FromSnapshot(new TaskSnapshot { Uids = [0, 0, 0] });
        Assert.True(noCaps.CapsUnknown);
        var foreign = Creds.FromSnapshot(new TaskSnapshot { Uids = [0, 0, 0], CapPrm = ulong.MaxValue, CapEff = ulong.MaxValue, CapBnd = ulong.MaxValue, CapAmb = 0, ForeignUserNs = true });
        Assert.False(foreign.KillsAny);
    }

    [Fact]
    public void A_set_user_ID_file_gives_its_owner_as_the_effective_uid_unless_no_new_privs()
    {
        // m-setuid: nobody's kill -0 to root's sleep is refused; a set-user-ID root copy of kill
        // (the capture looked it up: "# exec_file: setuid 0 /tmp/suid-kill") is allowed; the same
        // copy under setpriv --no-new-privs is refused again.
        const string capture = "traces/captures/m-setuid.txt";
        var (events, _) = RealCapturesValidateTests.Read(capture);
        var probes = events.OfType<Kill>().Where(k => k.Sig == 0).ToList();
        Assert.Equal([-EPERM, 0, -EPERM], probes.Select(k => k.Ret ?? 1));
        Assert.Contains(events.OfType<Exec>(), e => e is { File: ExecFile.SetUid, FileUid: 0 });
        foreach (var name in new[] { "nested", "vpid" })
            Assert.Equal([-EPERM, 0, -EPERM], Predicted(name, events, probes));
        Assert.True(Validator.Run(capture, "nested", events).Clean);

        // Without the lookup the file is taken to be plain, and the kernel disagrees; looked up
        // and unreadable, the answer is not known.
        var text = File.ReadAllText(Repo.PathOf(capture));
        var blind = ReadText(text.Replace("# exec_file: setuid 0 /tmp/suid-kill\n", "", StringComparison.Ordinal));
        Assert.Equal([-EPERM, -EPERM, -EPERM], Predicted("nested", blind, blind.OfType<Kill>().Where(k => k.Sig == 0).ToList()));
        var unreadable = ReadText(text.Replace("# exec_file: setuid 0 /tmp/suid-kill", "# exec_file: unreadable 0 /tmp/suid-kill", StringComparison.Ordinal));
        Assert.Equal([-EPERM, long.MinValue, -EPERM], Predicted("nested", unreadable, unreadable.OfType<Kill>().Where(k => k.Sig == 0).ToList()));
    }

    /// <summary>Each kill's predicted answer, long.MinValue where the model does not know it.</summary>
    private static List<long> Predicted(string model, List<PidEvent> events, List<Kill> kills)
    {
        var m = ModelCatalog.Create(model);
        var o = new Outcome();
        var answers = new List<long>();
        foreach (var ev in events)
        {
            m.Apply(ev, o);
            if (ev is Kill k && kills.Contains(k)) answers.Add(o.Verdict == Verdict.Predicted && o.HasRet ? o.Ret : long.MinValue);
        }
        return answers;
    }

    private static List<PidEvent> ReadText(string text)
    {
        var path = Path.Combine(Path.GetTempPath(), $"replayer-cred-{Guid.NewGuid():N}.txt");
        File.WriteAllText(path, text);
        try
        {
            var input = InputFile.Open(path);
            using (input.Stream) return CaptureFormats.All.Single(r => r.Format == "capture").Read(input, new ReadContext(false)).ToList();
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Exec_of_a_set_user_ID_file_file_capabilities_or_one_not_read()
    {
        var c = Nobody with { Bnd = Creds.Kill | Creds.SetUid };
        c.Exec(ExecFile.SetUid, 0);
        Assert.Equal((65534, 0, 0), (c.Ruid, c.Euid, c.Suid));
        Assert.True(c.KillsAny); // an effective uid of 0: the bounding set, effective
        c = Nobody with { NoNewPrivs = true };
        c.Exec(ExecFile.SetUid, 0);
        Assert.Equal(65534, c.Euid);
        c = Creds.Root;
        c.Exec(ExecFile.SetUid, 1000); // root's real uid keeps the permitted set, not the effective one
        Assert.Equal((0, 1000, 1000, Creds.Kill | Creds.SetUid, 0), (c.Ruid, c.Euid, c.Suid, (int)c.Prm, (int)c.Eff));
        c = Nobody;
        c.Exec(ExecFile.FileCaps, 0);
        Assert.True(c.CapsUnknown);
        c = Creds.Root;
        c.Exec(ExecFile.Unreadable, 0);
        Assert.Equal(Tri.Unknown, May(c, Nobody));
    }
}
