using System.Text;
using System.Text.Json;
using Replayer.Ingest.Formats;
using Replayer.Tests.Support;

namespace Replayer.Tests.Ingest;

/// <summary>docs/trace-format.schema.json and the codec describe the same format.</summary>
public sealed class TraceFormatSchemaTests
{
    private static readonly JsonElement Event = Load().GetProperty("$defs").GetProperty("event");

    private static JsonElement Load() =>
        JsonDocument.Parse(File.ReadAllText(Repo.PathOf("docs/trace-format.schema.json"))).RootElement;

    private static HashSet<string> Enum(string key) =>
        Event.GetProperty("properties").GetProperty(key).GetProperty("enum").EnumerateArray().Select(e => e.GetString()!).ToHashSet();

    [Fact]
    public void Every_key_the_writer_emits_is_in_the_schema()
    {
        var keys = Event.GetProperty("properties").EnumerateObject().Select(p => p.Name).ToHashSet();
        foreach (var ev in SampleEvents.OfEveryKind())
        {
            using var ms = new MemoryStream();
            using (var w = new NativeWriter(ms)) w.Write(ev with { Seq = 1 });
            using var doc = JsonDocument.Parse(Encoding.UTF8.GetString(ms.ToArray()));
            foreach (var p in doc.RootElement.EnumerateObject())
                Assert.True(keys.Contains(p.Name), $"{ev.Kind}: key {p.Name} is not in the schema");
        }
    }

    [Fact]
    public void Every_key_in_the_schema_is_accepted_by_the_reader()
    {
        foreach (var p in Event.GetProperty("properties").EnumerateObject())
        {
            var value = p.Value.TryGetProperty("enum", out var en) ? $"\"{en[0].GetString()}\""
                : p.Value.TryGetProperty("type", out var t) && t.GetString() == "boolean" ? "true"
                : p.Value.TryGetProperty("type", out t) && t.GetString() == "string" ? "\"x\""
                : p.Name is "nspid" or "nspgid" or "nssid" or "set_tid" ? "[1]"
                : p.Name == "signals" ? "[{\"sig\":1,\"to\":1}]"
                : p.Name == "signal" ? "{\"sig\":1,\"to\":1}"
                : "1";
            var line = p.Name is "kind" or "tid"
                ? "{\"tid\":1,\"kind\":\"setsid\"}"
                : $"{{\"tid\":1,\"kind\":\"setsid\",\"{p.Name}\":{value}}}";
            var e = Record.Exception(() => NativeJson.ParseEvent(Encoding.UTF8.GetBytes(line), "s", 1));
            Assert.True(e is null || !e.Message.Contains("unknown key"), $"{p.Name}: {e?.Message}");
        }
    }

    [Fact]
    public void The_schema_spells_every_enum_as_the_codec_does()
    {
        Assert.Equal(NativeJson.Names.Kinds.ToHashSet(), Enum("kind"));
        Assert.Equal(NativeJson.Names.Handlers.ToHashSet(), Enum("handler"));
        Assert.Equal(NativeJson.Names.ContainerActions.ToHashSet(), Enum("action"));
        Assert.Equal(NativeJson.Names.ForkCalls.Concat(NativeJson.Names.GetIdCalls).Concat(NativeJson.Names.KillCalls)
            .Concat(NativeJson.Names.WaitCalls).Concat(NativeJson.Names.CredCalls).Concat(NativeJson.Names.SigWaitCalls).ToHashSet(), Enum("call"));
    }
}
