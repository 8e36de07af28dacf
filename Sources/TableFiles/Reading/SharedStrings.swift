/// The shared-strings table (`sst`): each `<si>` is the concatenation of its `<t>` texts, plain or in
/// rich-text runs (`<r><t>`), whitespace kept, phonetic runs (`<rPh>`) left out.
enum SharedStrings {
    static func parse(_ scanner: inout XMLScanner, limit: Int) throws(TableFileError) -> [String] {
        var strings: [String] = []
        var current: String?
        var inText = false
        while let event = try scanner.next() {
            switch event {
            case .start(let element):
                switch element.name {
                case "si":
                    guard strings.count < limit else {
                        throw TableFileError(
                            .tooLarge,
                            "The workbook has more than \(grouped(limit)) shared strings (the limit). Save only the data you need as .xlsx, or export the sheet as CSV.")
                    }
                    current = ""
                case "t" where current != nil: inText = true
                case "rPh", "phoneticPr": try scanner.skipElement()
                default: break
                }
            case .end(let name):
                switch name {
                case "si":
                    strings.append(OOXMLText.unescaped(current ?? ""))
                    current = nil
                case "t": inText = false
                default: break
                }
            case .text(let range) where inText:
                current?.append(try scanner.text(range))
            case .cdata(let range) where inText:
                current?.append(scanner.cdata(range))
            case .text, .cdata:
                break
            }
        }
        return strings
    }
}

/// Text escapes of OOXML itself (ST_Xstring): a character XML cannot carry is written `_xHHHH_`
/// (a UTF-16 code unit in hex), and a literal `_x` that would look like one as `_x005F_x…`.
enum OOXMLText {
    static func unescaped(_ text: String) -> String {
        guard text.utf8.contains(UInt8(ascii: "_")), text.contains("_x") else { return text }
        let units = Array(text.utf16)
        var out: [UInt16] = []
        out.reserveCapacity(units.count)
        var index = 0
        while index < units.count {
            if units[index] == 0x5F, index + 6 < units.count, units[index + 1] == 0x78, units[index + 6] == 0x5F,
                let value = hex(units[(index + 2)..<(index + 6)])
            {
                out.append(value)
                index += 7
            } else {
                out.append(units[index])
                index += 1
            }
        }
        return String(decoding: out, as: UTF16.self)
    }

    private static func hex(_ units: ArraySlice<UInt16>) -> UInt16? {
        var value: UInt16 = 0
        for unit in units {
            let digit: UInt16
            switch unit {
            case 0x30...0x39: digit = unit - 0x30
            case 0x41...0x46: digit = unit - 0x41 + 10
            case 0x61...0x66: digit = unit - 0x61 + 10
            default: return nil
            }
            value = value << 4 | digit
        }
        return value
    }
}
