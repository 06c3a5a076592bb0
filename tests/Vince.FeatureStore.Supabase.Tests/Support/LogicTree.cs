using System.Text;
using Npgsql;

namespace Vince.FeatureStore.Supabase.Tests.Support;

/// <summary>
/// The stand-in's parser of PostgREST logic trees (<c>or=(a.gt.1,and(b.eq."x,y",c.lt.2))</c>), translated to SQL with
/// parameters. It takes what PostgREST's URL grammar allows for the columns the readers filter on, <c>created_at</c>
/// (as timestamptz) and <c>id</c>, with the operators <c>eq, gt, gte, lt, lte</c>; a value is plain (up to the next
/// <c>,</c> or <c>)</c>, and must not hold PostgREST's reserved characters) or in double quotes with <c>\"</c> and
/// <c>\\</c> escapes. Anything else (another column or operator, <c>not.</c>, unbalanced parentheses, a reserved
/// character outside quotes) is refused, so a client that relies on more is caught.
/// </summary>
internal static class LogicTree
{
    private static readonly Dictionary<string, string> Operators = new(StringComparer.Ordinal)
    {
        ["eq"] = "=",
        ["gt"] = ">",
        ["gte"] = ">=",
        ["lt"] = "<",
        ["lte"] = "<=",
    };

    /// <summary>The SQL condition for <c>{op}=({value})</c>, or <see langword="null"/> when it is not understood.</summary>
    public static string? TryTranslate(string op, string value, NpgsqlParameterCollection parameters, ref int parameter)
    {
        var parser = new Parser(value, parameters, parameter);
        string? sql = parser.List(op == "or" ? " OR " : " AND ");
        if (sql is null || parser.Position != value.Length)
        {
            return null;
        }

        parameter = parser.Parameter;
        return sql;
    }

    private sealed class Parser(string text, NpgsqlParameterCollection parameters, int parameter)
    {
        public int Position { get; private set; }

        public int Parameter { get; private set; } = parameter;

        /// <summary><c>(item,item,…)</c> joined by <paramref name="join"/>.</summary>
        public string? List(string join)
        {
            if (!Take('('))
            {
                return null;
            }

            var items = new List<string>();
            do
            {
                if (Item() is not { } item)
                {
                    return null;
                }

                items.Add(item);
            }
            while (Take(','));

            return Take(')') ? "(" + string.Join(join, items) + ")" : null;
        }

        private string? Item()
        {
            if (Word("and("))
            {
                Position--;
                return List(" AND ");
            }

            if (Word("or("))
            {
                Position--;
                return List(" OR ");
            }

            string column = Word("created_at.") ? "created_at" : Word("id.") ? "id" : "";
            if (column.Length == 0)
            {
                return null;
            }

            int dot = text.IndexOf('.', Position);
            if (dot < 0 || !Operators.TryGetValue(text[Position..dot], out string? sqlOperator))
            {
                return null;
            }

            Position = dot + 1;
            if (Value() is not { } operand)
            {
                return null;
            }

            string name = "p" + Parameter++;
            parameters.AddWithValue(name, operand);
            return column == "created_at" ? $"created_at {sqlOperator} @{name}::timestamptz" : $"id {sqlOperator} @{name}";
        }

        private string? Value()
        {
            if (!Take('"'))
            {
                int end = text.IndexOfAny([',', ')'], Position);
                if (end < 0)
                {
                    return null;
                }

                string plain = text[Position..end];
                Position = end;
                return plain.Length == 0 || plain.IndexOfAny(['.', ':', '(', '"']) >= 0 ? null : plain;
            }

            var value = new StringBuilder();
            while (Position < text.Length)
            {
                char c = text[Position++];
                if (c == '"')
                {
                    return value.ToString();
                }

                if (c == '\\')
                {
                    if (Position == text.Length || text[Position] is not ('"' or '\\'))
                    {
                        return null;
                    }

                    c = text[Position++];
                }

                value.Append(c);
            }

            return null; // no closing quote
        }

        private bool Word(string word)
        {
            if (string.CompareOrdinal(text, Position, word, 0, word.Length) != 0)
            {
                return false;
            }

            Position += word.Length;
            return true;
        }

        private bool Take(char c)
        {
            if (Position < text.Length && text[Position] == c)
            {
                Position++;
                return true;
            }

            return false;
        }
    }
}
