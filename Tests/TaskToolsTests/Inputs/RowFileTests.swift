import Foundation
import JSON
import TableFiles
import TaskTools
import Testing

@Suite("Rows from files")
struct RowFileTests {
    @Test func theFormatIsToldFromTheBytesFirst() throws {
        #expect(try RowFile.format(of: Array("PK\u{3}\u{4}rest".utf8), contentType: "text/csv", name: "a.csv") == .xlsx)
        #expect(try RowFile.format(of: Array("  [{\"a\": 1}]".utf8), contentType: "text/plain", name: nil) == .json)
        #expect(try RowFile.format(of: Array("a,b\n1,2\n".utf8), contentType: "application/octet-stream", name: "x.bin") == .csv)
        #expect(try RowFile.format(of: Array("a\tb\n1\t2\n".utf8), contentType: nil, name: nil) == .csv)
    }

    @Test func aWebPageOrAFakeXLSXIsRefusedSayingWhatToLink() {
        #expect(throws: GroupInputError.self) {
            try RowFile.format(of: Array("\n<!doctype html><html>".utf8), contentType: "text/html", name: nil)
        }
        do {
            _ = try RowFile.rows(Array("a,b\n".utf8), contentType: "text/html; charset=utf-8", name: nil, sheet: nil, maxRows: 10)
            Issue.record("an HTML page was read as rows")
        } catch {
            #expect(error.message.contains("web page"), "\(error.message)")
            #expect(error.message.contains("export?format=csv"))
        }
        #expect(throws: GroupInputError.self) {
            try RowFile.rows(
                Array("a,b\n1,2".utf8), contentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                name: nil, sheet: nil, maxRows: 10)
        }
    }

    @Test func textThatIsNotUTF8IsRefused() {
        do {
            _ = try RowFile.rows([0x61, 0x2C, 0x62, 0x0A, 0xFF, 0xFE, 0x2C, 0x31], contentType: nil, name: nil, sheet: nil, maxRows: 10)
            Issue.record("invalid UTF-8 was read")
        } catch {
            #expect(error.message.contains("UTF-8"), "\(error.message)")
        }
    }

    @Test func csvAndJSONFilesBecomeRows() throws {
        let csv = try RowFile.rows(
            Array("\u{FEFF}company,city\r\n\"Acme, Inc.\",Berlin\r\nGlobex,\r\n".utf8), contentType: "text/csv", name: nil, sheet: nil,
            maxRows: 10)
        #expect(csv.columns == ["company", "city"])
        #expect(csv.rows == [["company": "Acme, Inc.", "city": "Berlin"], ["company": "Globex"]])
        let json = try RowFile.rows(Array(#"[{"company": "Acme", "size": 3}]"#.utf8), contentType: "application/json", name: nil, sheet: nil, maxRows: 10)
        #expect(json.rows == [["company": "Acme", "size": 3]])
        #expect(throws: GroupInputError.self) {
            try RowFile.rows(Array("a,b\n1,2\n".utf8), contentType: "text/csv", name: nil, sheet: "Sheet1", maxRows: 10)
        }
    }

    @Test func anXLSXWorkbookBecomesRowsWithItsHeaderAndEmptyCellsLeftOut() throws {
        let workbook = try XLSXWriter.write([["company", "employees", "city"], ["Acme", "12", ""], ["Globex", "", "Paris"]])
        let rows = try RowFile.rows(workbook, contentType: "application/octet-stream", name: "companies.xlsx", sheet: nil, maxRows: 10)
        #expect(rows.columns == ["company", "employees", "city"])
        #expect(rows.rows == [["company": "Acme", "employees": "12"], ["company": "Globex", "city": "Paris"]])
        do {
            _ = try RowFile.rows(workbook, contentType: nil, name: nil, sheet: "Missing", maxRows: 10)
            Issue.record("an unknown sheet was read")
        } catch {
            #expect(error.message.contains("Results"), "the sheets there are named: \(error.message)")
        }
    }

    @Test func aSheetOverTheRowLimitIsRefusedNamingTheLimit() throws {
        let workbook = try XLSXWriter.write([["company"]] + (0..<11).map { ["Company \($0)"] })
        do {
            _ = try RowFile.rows(workbook, contentType: nil, name: nil, sheet: nil, maxRows: 10)
            Issue.record("11 rows were accepted under a limit of 10")
        } catch {
            #expect(error.message.contains("10"), "\(error.message)")
        }
    }

    @Test func sheetRowsShortOfTheHeaderArePaddedAndSheetErrorsNameRows() throws {
        let rows = try GroupRows(sheet: [["a", "b"], ["1"], ["", ""], ["2", "3"]])
        #expect(rows.rows == [["a": "1"], ["a": "2", "b": "3"]])
        do {
            _ = try GroupRows(sheet: [["a", ""], ["1", "2"]])
            Issue.record("a nameless column was accepted")
        } catch {
            #expect(error.message.contains("header row of the sheet (row 1)"), "\(error.message)")
        }
        do {
            _ = try GroupRows(sheet: [["a"], ["1", "2"]])
            Issue.record("a cell outside the header was accepted")
        } catch {
            #expect(error.message.contains("row 2 of the sheet"), "\(error.message)")
        }
    }

    @Test func googleSheetsEditingLinksBecomeCSVExports() {
        #expect(
            RowFile.exportURL("https://docs.google.com/spreadsheets/d/1AbC_d-9/edit#gid=42")
                == "https://docs.google.com/spreadsheets/d/1AbC_d-9/export?format=csv&gid=42")
        #expect(
            RowFile.exportURL("https://docs.google.com/spreadsheets/d/1AbC/edit?usp=sharing")
                == "https://docs.google.com/spreadsheets/d/1AbC/export?format=csv")
        #expect(RowFile.exportURL("https://docs.google.com/spreadsheets/d/1AbC/export?format=csv&gid=1") == "https://docs.google.com/spreadsheets/d/1AbC/export?format=csv&gid=1")
        #expect(RowFile.exportURL("https://example.com/spreadsheets/d/x/edit") == "https://example.com/spreadsheets/d/x/edit")
    }
}
