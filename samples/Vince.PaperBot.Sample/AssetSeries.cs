using Vince.FeatureStore;

namespace Vince.PaperBot.Sample;

/// <summary>
/// One asset's random walk with the state a perpetual-futures bot watches: hidden volatility and trend
/// regimes, occasional liquidation cascades, funding, open interest, positioning, volume and
/// hourly-bar indicators (ATR, RSI, SMA).
/// </summary>
internal sealed class AssetSeries
{
    private static readonly string[] VolatilityNames = ["low", "normal", "high", "extreme"];
    private static readonly double[] VolatilityMultipliers = [0.6, 1.0, 1.6, 2.6];
    private static readonly double[] VolumeMultipliers = VolatilityMultipliers.Select(m => Math.Pow(m, 0.7)).ToArray(); // busier when volatile
    private const double BaseFunding = 0.0001; // per 8 h, the usual perpetual baseline

    private readonly double _minuteVolatility;
    private readonly RollingWindow _fiveMinuteCloses = new(24 * 12 + 1);
    private readonly RollingWindow _fiveMinuteVolumes = new(24 * 12);
    private readonly RollingWindow _hourlyCloses = new(20);
    private readonly RollingWindow _fundingHistory = new(30 * 24);
    private readonly RollingWindow _openInterestHistory = new(25);

    private int _volatilityState = 1;
    private int _trend;
    private double _barVolume;
    private double _hourHigh, _hourLow;
    private double _previousHourClose;
    private double _atr, _averageGain, _averageLoss;
    private double _funding = BaseFunding, _fundingHourAgo = BaseFunding;
    private double _logOpenInterest;
    private double _positioning;
    private double _dvol;
    private int _cascadeMinutesLeft;
    private double _cascadeStep;

    public AssetSeries(AssetProfile profile, Random random)
    {
        Profile = profile;
        Random = random;
        Price = profile.StartPrice;
        _minuteVolatility = profile.DailyVolatilityPct / 100 / Math.Sqrt(24 * 60);
        _previousHourClose = _hourHigh = _hourLow = Price;
        _atr = Price * _minuteVolatility * Math.Sqrt(60) * 1.25;
        _logOpenInterest = Math.Log(profile.OpenInterestUsd);
        _dvol = profile.DailyVolatilityPct * Math.Sqrt(365);
        _fiveMinuteCloses.Add(Price);
        _hourlyCloses.Add(Price);
    }

    public AssetProfile Profile { get; }

    /// <summary>The asset's own random source, so adding an asset does not change the others' paths.</summary>
    public Random Random { get; }

    public double Price { get; private set; }

    /// <summary>Hidden drift regime (−1, 0, 1); only the price shows it, which gives momentum a small edge.</summary>
    public int Trend => _trend;

    public string VolatilityRegime => VolatilityNames[_volatilityState];

    public double AtrPct => _atr / Price * 100;

    public double Rsi14 => _averageLoss == 0 ? 100 : 100 - (100 / (1 + (_averageGain / _averageLoss)));

    public double FundingPercentile => _fundingHistory.PercentileOf(_funding);

    public double LongShortRatio => Math.Exp(_positioning + (300 * (_funding - BaseFunding)));

    public double VolumeRatio => _fiveMinuteVolumes.Count < 12 || _fiveMinuteVolumes.Sum <= 0
        ? 1
        : SumNewest(_fiveMinuteVolumes, 12) * _fiveMinuteVolumes.Count / 12 / _fiveMinuteVolumes.Sum;

    public double BookImbalance { get; private set; }

    public double SpreadPct { get; private set; }

    /// <summary>Open interest relative to the venue's cap (1.4 × the usual level).</summary>
    public double OpenInterestCapUse => Math.Exp(_logOpenInterest) / (1.4 * Profile.OpenInterestUsd);

    /// <summary>When the last liquidation cascade started and which way it moved the price.</summary>
    public (DateTimeOffset At, int Direction) LastCascade { get; private set; } = (DateTimeOffset.MinValue, 0);

    public double PriceChangePct(TimeSpan ago)
    {
        double then = _fiveMinuteCloses.Back((int)(ago.TotalMinutes / 5));
        return (Price / then - 1) * 100;
    }

    public void AdvanceMinute(DateTimeOffset now, double shock)
    {
        double sigma = _minuteVolatility * VolatilityMultipliers[_volatilityState];
        double logReturn = (_trend * 0.03 * _minuteVolatility) + (sigma * shock) - (0.5 * sigma * sigma);
        if (_cascadeMinutesLeft == 0 && Random.NextDouble() < 1.0 / (4 * 24 * 60))
        {
            StartCascade(now);
        }

        if (_cascadeMinutesLeft > 0)
        {
            logReturn += _cascadeStep;
            _cascadeMinutesLeft--;
        }

        Price *= Math.Exp(logReturn);
        _hourHigh = Math.Max(_hourHigh, Price);
        _hourLow = Math.Min(_hourLow, Price);
        _barVolume += MinuteVolume(now, shock);

        if (now.Minute % 5 == 0)
        {
            CloseFiveMinuteBar(logReturn / sigma);
        }

        if (now.Minute == 0)
        {
            CloseHour();
        }
    }

    public MarketFeatures Features(double fearGreedIndex) => new()
    {
        Price = AssetProfile.RoundPrice(Price),
        PriceChange1h = Math.Round(PriceChangePct(TimeSpan.FromHours(1)), 3),
        PriceChange24h = Math.Round(PriceChangePct(TimeSpan.FromHours(24)), 3),
        Volume24h = Math.Round(_fiveMinuteVolumes.Sum),
        VolumeRatio = Math.Round(VolumeRatio, 3),
        FundingRate = Math.Round(_funding, 7),
        FundingPercentile = Math.Round(FundingPercentile, 1),
        FundingDelta = Math.Round(_funding - _fundingHourAgo, 7),
        OpenInterest = Math.Round(Math.Exp(_logOpenInterest)),
        OiChange24h = Math.Round((Math.Exp(_logOpenInterest - _openInterestHistory.Back(24)) - 1) * 100, 3),
        LongShortRatio = Math.Round(LongShortRatio, 3),
        FearGreedIndex = fearGreedIndex,
        BookImbalance = Math.Round(BookImbalance, 3),
        BidAskSpread = Math.Round(SpreadPct, 4),
        // Implied volatility indexes (Deribit DVOL) exist for BTC and ETH only.
        Dvol = Profile.HasDvol ? Math.Round(_dvol, 2) : null,
        AtrPct = Math.Round(AtrPct, 3),
        Rsi14 = Math.Round(Rsi14, 2),
        PriceVsSma20 = Math.Round((Price / (_hourlyCloses.Sum / _hourlyCloses.Count) - 1) * 100, 3),
    };

    private void StartCascade(DateTimeOffset now)
    {
        // Liquidation cascades are mostly long squeezes: a sharp drop over ten minutes on heavy volume.
        int direction = Random.NextDouble() < 0.65 ? -1 : 1;
        double hourlySigma = _minuteVolatility * Math.Sqrt(60);
        _cascadeMinutesLeft = 10;
        _cascadeStep = direction * (3 + (3 * Random.NextDouble())) * hourlySigma / _cascadeMinutesLeft;
        _logOpenInterest += Math.Log(0.92 + (0.04 * Random.NextDouble()));
        LastCascade = (now, direction);
    }

    private double MinuteVolume(DateTimeOffset now, double shock)
    {
        DateTime utc = now.UtcDateTime;
        double session = utc.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday ? 0.6
            : utc.Hour is >= 13 and < 21 ? 1.4
            : utc.Hour is >= 7 and < 13 ? 1.1
            : 0.75;
        double burst = _cascadeMinutesLeft > 0 ? 6 : 1;
        double noise = Math.Exp((0.25 * Random.NextGaussian()) - 0.03);
        return Profile.DailyVolumeUsd / (24 * 60) * VolumeMultipliers[_volatilityState] * session * burst
               * (1 + (0.6 * Math.Abs(shock))) * noise;
    }

    private void CloseFiveMinuteBar(double lastShock)
    {
        _fiveMinuteCloses.Add(Price);
        _fiveMinuteVolumes.Add(_barVolume);
        _barVolume = 0;
        BookImbalance = Math.Tanh((0.25 * lastShock) + (0.4 * Random.NextGaussian()));
        SpreadPct = Profile.SpreadPct * VolatilityMultipliers[_volatilityState] * Math.Exp(0.3 * Random.NextGaussian());
    }

    private void CloseHour()
    {
        double hourReturn = Price / _previousHourClose - 1;
        double trueRange = Math.Max(_hourHigh - _hourLow, Math.Max(Math.Abs(_hourHigh - _previousHourClose), Math.Abs(_hourLow - _previousHourClose)));
        _atr = ((_atr * 13) + trueRange) / 14;
        _averageGain = ((_averageGain * 13) + Math.Max(0, Price - _previousHourClose)) / 14;
        _averageLoss = ((_averageLoss * 13) + Math.Max(0, _previousHourClose - Price)) / 14;
        _hourlyCloses.Add(Price);
        _previousHourClose = _hourHigh = _hourLow = Price;

        // Funding mean-reverts to its baseline and leans with price; crowding shows in the long/short ratio.
        _fundingHourAgo = _funding;
        _funding = Math.Clamp(_funding + (0.15 * (BaseFunding - _funding)) + (0.00004 * Random.NextGaussian()) + (0.004 * hourReturn) + (0.00001 * _trend), -0.003, 0.003);
        _fundingHistory.Add(_funding);
        _positioning += (-0.1 * _positioning) + (0.08 * Random.NextGaussian());
        // Big moves open positions: OI grows with the hour's range beyond its usual size, then mean-reverts.
        double usualHourMove = 0.8 * _minuteVolatility * Math.Sqrt(60);
        _logOpenInterest += (0.03 * (Math.Log(Profile.OpenInterestUsd) - _logOpenInterest)) + (0.006 * Random.NextGaussian()) + (1.5 * (Math.Abs(hourReturn) - usualHourMove));
        _openInterestHistory.Add(_logOpenInterest);
        _dvol = Profile.DailyVolatilityPct * Math.Sqrt(365) * VolatilityMultipliers[_volatilityState] * (1.05 + (0.05 * Random.NextGaussian()));

        _volatilityState = NextVolatilityState();
        if (Random.NextDouble() < 0.025)
        {
            _trend = Random.Next(-1, 2);
        }
    }

    private int NextVolatilityState()
    {
        double draw = Random.NextDouble();
        return _volatilityState switch
        {
            0 => draw < 0.02 ? 1 : 0,
            1 => draw < 0.01 ? 0 : draw < 0.025 ? 2 : 1,
            2 => draw < 0.04 ? 1 : draw < 0.048 ? 3 : 2,
            _ => draw < 0.10 ? 2 : 3,
        };
    }

    private static double SumNewest(RollingWindow window, int count)
    {
        double sum = 0;
        for (int i = 0; i < count; i++)
        {
            sum += window.Back(i);
        }

        return sum;
    }
}
