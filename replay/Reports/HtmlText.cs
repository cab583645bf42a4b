namespace Replayer.Replay.Reports;

/// <summary>
/// Writes text into HTML (and the SVG inside it) so that it can only ever be text: a comm or a
/// container name from a trace is whatever the traced program chose, "&lt;script&gt;" included.
/// </summary>
internal static class HtmlText
{
    /// <summary>Writes <paramref name="s"/> escaped for element content and quoted attribute values alike.</summary>
    public static void Write(TextWriter w, string s)
    {
        var span = s.AsSpan();
        int start = 0;
        for (int i = 0; i < span.Length; i++)
        {
            string? entity = Entity(span[i]);
            if (entity is null) continue;
            w.Write(span[start..i]);
            w.Write(entity);
            start = i + 1;
        }
        w.Write(span[start..]);
    }

    private static string? Entity(char c) => c switch
    {
        '&' => "&amp;",
        '<' => "&lt;",
        '>' => "&gt;",
        '"' => "&quot;",
        '\'' => "&#39;",
        // The HTML parser turns a NUL into U+FFFD anyway; writing it so keeps the file valid.
        '\0' => "\uFFFD",
        _ => null,
    };
}
