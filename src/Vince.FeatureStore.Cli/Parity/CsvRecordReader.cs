using System.Text;

namespace Vince.FeatureStore.Cli.Parity;

/// <summary>Reads RFC 4180 CSV (quoted fields, doubled quotes, CRLF or LF) one record at a time.</summary>
internal sealed class CsvRecordReader(TextReader reader)
{
    private readonly StringBuilder _field = new();

    /// <summary>The next record's fields, or <see langword="null"/> at the end.</summary>
    public List<string>? Read()
    {
        int c = reader.Read();
        if (c < 0)
        {
            return null;
        }

        var fields = new List<string>();
        bool quoted = false;
        _field.Clear();
        while (true)
        {
            if (quoted)
            {
                if (c < 0)
                {
                    throw new InvalidDataException("The CSV ends inside a quoted field.");
                }

                if (c == '"')
                {
                    if (reader.Peek() == '"')
                    {
                        reader.Read();
                        _field.Append('"');
                    }
                    else
                    {
                        quoted = false;
                    }
                }
                else
                {
                    _field.Append((char)c);
                }
            }
            else if (c == '"' && _field.Length == 0)
            {
                quoted = true;
            }
            else if (c == ',')
            {
                fields.Add(_field.ToString());
                _field.Clear();
            }
            else if (c is '\r' or '\n' || c < 0)
            {
                if (c == '\r' && reader.Peek() == '\n')
                {
                    reader.Read();
                }

                fields.Add(_field.ToString());
                return fields;
            }
            else
            {
                _field.Append((char)c);
            }

            c = reader.Read();
        }
    }
}
