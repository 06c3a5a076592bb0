using Microsoft.Extensions.Options;

namespace Vince.FeatureStore.Onnx.Training;

/// <summary>Validates <see cref="TrainingWhenReadyOptions"/> when the host starts.</summary>
internal sealed class TrainingWhenReadyOptionsValidator : IValidateOptions<TrainingWhenReadyOptions>
{
    public ValidateOptionsResult Validate(string? name, TrainingWhenReadyOptions options)
    {
        IReadOnlyList<string> errors = options.Validate();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors.Select(e => "VinceTrainingWhenReady: " + e));
    }
}
