using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace HaloPortal.Engine.Data;

/// <summary>Stores instants as UTC ticks (a sortable long) and reads them back as UTC.</summary>
public sealed class DateTimeOffsetToBinaryConverterUtc() : ValueConverter<DateTimeOffset, long>(
    v => v.UtcTicks,
    v => new DateTimeOffset(v, TimeSpan.Zero));
