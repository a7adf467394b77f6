using System.Globalization;

namespace Cairn.Core.Templates;

/// <summary>How an SMS body travels: GSM-7 when every character is in the GSM 03.38 alphabet, else UCS-2.</summary>
public enum SmsEncoding
{
    /// <summary>7-bit GSM: 160 characters in one message, 153 per part when split.</summary>
    Gsm7,

    /// <summary>UCS-2 (UTF-16): 70 characters in one message, 67 per part when split.</summary>
    Ucs2,
}

/// <summary>The encoding and segment count of an SMS body, as carriers bill it.</summary>
/// <param name="Encoding">GSM-7 or UCS-2.</param>
/// <param name="Units">Septets (GSM-7; extension characters count two) or UTF-16 code units (UCS-2).</param>
/// <param name="Segments">How many messages the carrier sends (and bills).</param>
public sealed record SmsInfo(SmsEncoding Encoding, int Units, int Segments)
{
    private const string Basic =
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

    private const string Extension = "^{}\\[~]|€\f";

    /// <summary>Measures a body.</summary>
    public static SmsInfo Of(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var septets = 0;
        foreach (var character in text)
        {
            if (Basic.Contains(character, StringComparison.Ordinal))
            {
                septets++;
            }
            else if (Extension.Contains(character, StringComparison.Ordinal))
            {
                septets += 2;
            }
            else
            {
                var units = text.Length;
                return new SmsInfo(SmsEncoding.Ucs2, units, units <= 70 ? 1 : (units + 66) / 67);
            }
        }

        return new SmsInfo(SmsEncoding.Gsm7, septets, septets <= 160 ? 1 : (septets + 152) / 153);
    }

    /// <summary>The encoding's name as carriers write it.</summary>
    public string EncodingName => Encoding == SmsEncoding.Gsm7 ? "GSM-7" : "UCS-2";

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{EncodingName}, {Units} units, {Segments} segment(s)");
}
