using System.Collections;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;

namespace HaloPortal.Tests.Telemetry;

/// <summary>One measurement as a listener saw it.</summary>
internal sealed record Measured(string Instrument, double Value, IReadOnlyDictionary<string, string?> Tags)
{
    public bool Has(params (string Key, object Value)[] tags) =>
        tags.All(t => Tags.TryGetValue(t.Key, out var value) && value == Convert.ToString(t.Value, CultureInfo.InvariantCulture));
}

/// <summary>
/// Reads the measurements of one portal's meter (the instance its host created, not every meter named "HaloPortal" in the test
/// process, where other portals run in parallel), from the moment it is created: what a test does is what it counts.
/// </summary>
internal sealed class MeterReader : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<Measured> _measured = new();

    public MeterReader(Meter meter)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, meter))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Add(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Add(instrument, value, tags));
        _listener.Start();
    }

    /// <summary>The measurements of <paramref name="instrument"/> carrying all of <paramref name="tags"/>.</summary>
    public List<Measured> Of(string instrument, params (string Key, object Value)[] tags) =>
        _measured.Where(m => m.Instrument == instrument && m.Has(tags)).ToList();

    public double Sum(string instrument, params (string Key, object Value)[] tags) => Of(instrument, tags).Sum(m => m.Value);

    /// <summary>Asks the observable gauges for a reading now and returns the newest one matching <paramref name="tags"/> (null when none).</summary>
    public Measured? Observe(string instrument, params (string Key, object Value)[] tags)
    {
        _listener.RecordObservableInstruments();
        return Of(instrument, tags).LastOrDefault();
    }

    public void Dispose() => _listener.Dispose();

    private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var copy = new Dictionary<string, string?>();
        foreach (var tag in tags)
        {
            copy[tag.Key] = Convert.ToString(tag.Value, CultureInfo.InvariantCulture);
        }

        _measured.Enqueue(new Measured(instrument.Name, value, copy));
    }
}

/// <summary>What the portal's trace exporter exported, safe to read while the portal adds to it.</summary>
internal sealed class ExportedActivities : ICollection<Activity>
{
    private readonly List<Activity> _items = [];

    public int Count
    {
        get
        {
            lock (_items)
            {
                return _items.Count;
            }
        }
    }

    public bool IsReadOnly => false;

    /// <summary>The exported activities of one trace.</summary>
    public List<Activity> Of(ActivityTraceId trace)
    {
        lock (_items)
        {
            return _items.Where(a => a.TraceId == trace).ToList();
        }
    }

    public void Add(Activity item)
    {
        lock (_items)
        {
            _items.Add(item);
        }
    }

    public void Clear()
    {
        lock (_items)
        {
            _items.Clear();
        }
    }

    public bool Contains(Activity item)
    {
        lock (_items)
        {
            return _items.Contains(item);
        }
    }

    public void CopyTo(Activity[] array, int arrayIndex)
    {
        lock (_items)
        {
            _items.CopyTo(array, arrayIndex);
        }
    }

    public bool Remove(Activity item)
    {
        lock (_items)
        {
            return _items.Remove(item);
        }
    }

    public IEnumerator<Activity> GetEnumerator()
    {
        lock (_items)
        {
            return _items.ToList().GetEnumerator();
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
