using PhoneNumbers;

namespace Cairn.Core.Contacts;

/// <summary>Normalises contact channels: email addresses, phone numbers (E.164) and IANA time zones.</summary>
public static class ContactNormalizer
{
    private static readonly PhoneNumberUtil Phones = PhoneNumberUtil.GetInstance();

    /// <summary>
    /// Trims the address and lower-cases its domain (the local part is case-sensitive by RFC 5321).
    /// Returns null when it is not an address (no single <c>@</c> with text on both sides).
    /// </summary>
    public static string? NormalizeEmail(string? email)
    {
        var trimmed = email?.Trim();
        if (string.IsNullOrEmpty(trimmed))
        {
            return null;
        }

        var at = trimmed.LastIndexOf('@');
        if (at <= 0 || at == trimmed.Length - 1 || trimmed.IndexOf('@') != at || trimmed.Any(char.IsWhiteSpace))
        {
            return null;
        }

        return string.Concat(trimmed.AsSpan(0, at + 1), trimmed[(at + 1)..].ToLowerInvariant());
    }

    /// <summary>
    /// Parses a phone number into E.164 (<c>+14155550100</c>). Numbers without a country code are read in
    /// <paramref name="defaultRegion"/> (an ISO 3166 code such as <c>US</c>), when given. Null when invalid.
    /// </summary>
    public static string? NormalizePhone(string? phone, string? defaultRegion = null)
    {
        if (string.IsNullOrWhiteSpace(phone))
        {
            return null;
        }

        try
        {
            var number = Phones.Parse(phone, defaultRegion?.ToUpperInvariant());
            return Phones.IsValidNumber(number) ? Phones.Format(number, PhoneNumberFormat.E164) : null;
        }
        catch (NumberParseException)
        {
            return null;
        }
    }

    /// <summary>The IANA id when <paramref name="timeZone"/> names a known time zone; otherwise null.</summary>
    public static string? NormalizeTimeZone(string? timeZone)
    {
        if (string.IsNullOrWhiteSpace(timeZone))
        {
            return null;
        }

        if (!TimeZoneInfo.TryFindSystemTimeZoneById(timeZone.Trim(), out var zone))
        {
            return null;
        }

        if (zone.HasIanaId)
        {
            return zone.Id;
        }

        return TimeZoneInfo.TryConvertWindowsIdToIanaId(zone.Id, out var ianaId) ? ianaId : null;
    }
}
