# Counts the SMS segments each message of a flow file needs, per language.
# Input: a flow export or a single flow definition. Output: one object per
# message: {flow, lang, text, encoding, units, segments}.
# GSM-7 (3GPP TS 23.038): 160 septets in one segment, 153 per part when
# split; the extension table costs two septets. Anything else is UCS-2:
# 70 UTF-16 units, 67 per part.
def gsm7: "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
def gsm7ext: "^{}\\[~]|€\f";
def chars: explode | map([.] | implode);
def measure:
  if all(chars[]; . as $c | (gsm7 | index($c)) != null
                          or (gsm7ext | index($c)) != null)
  then {encoding: "gsm7",
        units: (chars | map(. as $c
                  | if (gsm7ext | index($c)) != null then 2 else 1 end)
                | add // 0)}
  else {encoding: "ucs2",
        units: (explode | map(if . > 65535 then 2 else 1 end) | add // 0)}
  end
  | . + {segments: (if .encoding == "gsm7"
                    then (if .units <= 160 then 1
                          else ((.units + 152) / 153 | floor) end)
                    else (if .units <= 70 then 1
                          else ((.units + 66) / 67 | floor) end)
                    end)};
(if has("flows") then .flows[] else . end)
| . as $flow
| [.nodes[].actions[] | select(.type == "send_msg")] as $sends
| ($sends[] | {flow: $flow.name, lang: $flow.language, text: .text}),
  ($sends[] | .uuid as $u
   | ($flow.localization // {}) | to_entries[]
   | select(.value[$u].text != null)
   | {flow: $flow.name, lang: .key, text: .value[$u].text[0]})
| . + (.text | measure)
