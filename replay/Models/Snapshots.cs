using System.Text;

namespace Replayer.Replay.Models;

/// <summary>What every snapshot writer shares.</summary>
internal static class Snapshots
{
    /// <summary>
    /// The encoding a BinaryWriter uses when given none (UTF-8, no byte-order mark, throwing on a
    /// lone surrogate): a writer handed someone else's stream must name one, and this one keeps the
    /// snapshot's bytes what they were.
    /// </summary>
    public static readonly Encoding Utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
}
