using System.Buffers;
using System.Text.Json;
using Replayer.Ingest.Events;

namespace Replayer.Ingest.Formats;

/// <summary>
/// Writes events as native JSON Lines (docs/trace-format.md). The bytes written for an event are
/// canonical: one event always gives the same line, which is what the store keeps and what event
/// ids are derived from.
/// </summary>
public sealed class NativeWriter : IDisposable
{
    private readonly Stream _out;
    private readonly ArrayBufferWriter<byte> _line = new(512);
    private readonly Utf8JsonWriter _json;

    public NativeWriter(Stream output)
    {
        _out = output;
        _json = new Utf8JsonWriter(_line, new JsonWriterOptions { SkipValidation = true });
    }

    public void WriteHeader(TraceHeader header)
    {
        _line.ResetWrittenCount();
        _json.Reset(_line);
        NativeJson.WriteHeader(_json, header);
        _json.Flush();
        Emit();
    }

    public void Write(PidEvent ev)
    {
        _line.ResetWrittenCount();
        _json.Reset(_line);
        NativeJson.WriteEvent(_json, ev);
        _json.Flush();
        Emit();
    }

    private void Emit()
    {
        _out.Write(_line.WrittenSpan);
        _out.WriteByte((byte)'\n');
    }

    public void Dispose()
    {
        _json.Dispose();
        _out.Flush();
    }
}
