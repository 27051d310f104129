using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace HaloPortal.Engine.Data;

/// <summary>Keeps instants as they are but in UTC (PostgreSQL's timestamptz refuses any other offset).</summary>
internal sealed class DateTimeOffsetToUtcConverter() : ValueConverter<DateTimeOffset, DateTimeOffset>(
    v => v.ToUniversalTime(),
    v => v.ToUniversalTime());
