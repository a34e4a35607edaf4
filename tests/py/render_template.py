"""Render a chat template the way Hugging Face transformers does, for Scout's template tests to compare against.

transformers renders `tokenizer_config.json`'s `chat_template` with Jinja2's sandboxed environment, trim_blocks and
lstrip_blocks on, the loop-controls extension, a `raise_exception` function, a `strftime_now` function and a `tojson`
filter that keeps non-ASCII characters. This does the same with Jinja2 itself (the reference implementation).

Reads JSON on stdin: {"template", "bos_token", "eos_token", "date": "YYYY-MM-DD", "conversations": [[{role, content}]]}
and prints a JSON list: each conversation rendered with add_generation_prompt=True.
"""

import datetime
import json
import sys

from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment


def raise_exception(message):
    raise ValueError(message)


def main() -> None:
    job = json.load(sys.stdin)
    today = datetime.date.fromisoformat(job["date"])
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
    env.filters["tojson"] = lambda x, indent=None: json.dumps(x, ensure_ascii=False, indent=indent)
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = lambda fmt: today.strftime(fmt)
    template = env.from_string(job["template"])
    out = [
        template.render(
            messages=messages,
            add_generation_prompt=True,
            bos_token=job["bos_token"],
            eos_token=job["eos_token"],
        )
        for messages in job["conversations"]
    ]
    json.dump(out, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
