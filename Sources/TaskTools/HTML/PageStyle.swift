/// The inline stylesheet of ``ProgressPage``: light and dark themes, phone-first layout.
enum PageStyle {
    static let css = """
        :root{color-scheme:light dark;--bg:#f4f5f7;--surface:#fff;--fg:#1a1d23;--muted:#5f6874;--border:#dfe3e8;
        --subtle:#f1f3f6;--zebra:#f8f9fb;--accent:#2456c9;--code:#eef1f5;
        --ok-bg:#dcf3e3;--ok-fg:#0f6b2f;--ok:#1f9d4c;--run-bg:#dee8fd;--run-fg:#1b4db3;--run:#3a6ff0;
        --wait-bg:#eceef2;--wait-fg:#4b5563;--wait:#9aa3af;--bad-bg:#fde2e1;--bad-fg:#a8221a;--bad:#d93a2f;
        --warn-bg:#fdf0d5;--warn-fg:#845000;--warn:#e0a100;--note-bg:#fff8e6;--note-border:#f0c44c}
        @media (prefers-color-scheme:dark){:root{--bg:#0e1116;--surface:#161b22;--fg:#e6edf3;--muted:#9ba6b4;
        --border:#2b323d;--subtle:#1d232c;--zebra:#1a2028;--accent:#7fa8ff;--code:#222a35;
        --ok-bg:#12361f;--ok-fg:#84e3a5;--ok:#3ccf6e;--run-bg:#172a4f;--run-fg:#a5c2ff;--run:#5b8dff;
        --wait-bg:#262c36;--wait-fg:#b7bfca;--wait:#6b7482;--bad-bg:#47181b;--bad-fg:#ffa39c;--bad:#f0564b;
        --warn-bg:#3d2d0f;--warn-fg:#f3c969;--warn:#e0a100;--note-bg:#2a2312;--note-border:#8a6d1f}}
        *{box-sizing:border-box}
        [hidden]{display:none!important}
        html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
        body{margin:0;background:var(--bg);color:var(--fg);
        font:15px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;overflow-wrap:break-word}
        code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:.9em}
        a{color:var(--accent);text-decoration-thickness:1px;text-underline-offset:2px}
        .bar{background:var(--surface);border-bottom:1px solid var(--border);padding:10px 16px}
        .brand{font-weight:700;letter-spacing:.02em;font-size:14px}
        .sandbox{background:repeating-linear-gradient(135deg,#ffd84d 0 14px,#f6c627 14px 28px);color:#2e2200;
        font-weight:700;font-size:13px;letter-spacing:.03em;text-align:center;padding:7px 12px}
        main{max-width:1180px;margin:0 auto;padding:18px 14px 8px}
        main.run,footer.run{max-width:980px}main.group,footer.group{max-width:1480px}
        .page-head{margin:4px 0 14px}
        .title-row{display:flex;flex-wrap:wrap;align-items:center;gap:8px 12px}
        h1{font-size:1.55rem;line-height:1.2;margin:0}
        .task-id{margin:6px 0 0;color:var(--muted);font-size:13px;overflow-wrap:anywhere}
        .task-id code{font-size:13px}
        .views{margin-left:auto;display:flex;gap:6px}
        .view{font-size:13px;text-decoration:none;border:1px solid var(--border);background:var(--surface);
        border-radius:7px;padding:3px 10px;color:var(--fg)}
        .view:hover{border-color:var(--accent);color:var(--accent)}
        .facts{display:flex;flex-wrap:wrap;gap:8px 28px;margin:12px 0 0}
        .facts div{min-width:0}
        .facts dt{font-size:11px;text-transform:uppercase;letter-spacing:.06em;color:var(--muted);margin:0}
        .facts dd{margin:1px 0 0;font-weight:600}
        .badge{display:inline-block;font-size:12px;font-weight:650;line-height:1;padding:5px 9px;border-radius:999px;
        white-space:nowrap;text-transform:capitalize;background:var(--wait-bg);color:var(--wait-fg)}
        .b-completed{background:var(--ok-bg);color:var(--ok-fg)}
        .b-running{background:var(--run-bg);color:var(--run-fg)}
        .b-failed{background:var(--bad-bg);color:var(--bad-fg)}
        .b-cancelled,.b-action{background:var(--warn-bg);color:var(--warn-fg)}
        .card{background:var(--surface);border:1px solid var(--border);border-radius:12px;padding:16px;margin:0 0 14px}
        .card>h2{font-size:12px;text-transform:uppercase;letter-spacing:.07em;color:var(--muted);margin:0 0 12px;
        font-weight:650}
        .note{background:var(--note-bg);border:1px solid var(--note-border);border-left-width:4px;border-radius:8px;
        padding:9px 12px;margin:0 0 14px;font-size:13.5px}
        .muted{color:var(--muted)}
        .warn{border-color:var(--note-border)}
        .error{border-color:var(--bad);border-left-width:4px}
        .error-message{font-weight:600;white-space:pre-line;overflow-wrap:anywhere}
        .meter{display:flex;align-items:center;gap:12px;flex-wrap:wrap}
        progress{flex:1 1 220px;height:10px;appearance:none;-webkit-appearance:none;border:0;border-radius:999px;
        background:var(--subtle);overflow:hidden;color:var(--ok)}
        progress::-webkit-progress-bar{background:var(--subtle);border-radius:999px}
        progress::-webkit-progress-value{background:var(--ok);border-radius:999px}
        progress::-moz-progress-bar{background:var(--ok);border-radius:999px}
        .meter-label{font-size:14px;white-space:nowrap}
        .counts{list-style:none;display:flex;flex-wrap:wrap;gap:6px 18px;padding:0;margin:12px 0 0;font-size:14px}
        .counts li{display:flex;align-items:center;gap:6px}
        .counts .total{color:var(--muted)}
        .dot{width:9px;height:9px;border-radius:50%;display:inline-block;background:var(--wait)}
        .dot.b-completed{background:var(--ok)}.dot.b-running{background:var(--run)}
        .dot.b-failed{background:var(--bad)}.dot.b-cancelled,.dot.b-action{background:var(--warn)}
        .live{display:flex;align-items:center;gap:8px;margin:0 0 10px;color:var(--muted)}
        .pulse{width:9px;height:9px;border-radius:50%;background:var(--run);flex:none;animation:pulse 1.6s ease-in-out infinite}
        @keyframes pulse{50%{opacity:.25}}
        @media (prefers-reduced-motion:reduce){.pulse{animation:none}}
        #live-meter-row{margin:0 0 12px}
        .log{margin:0;padding-left:1.6em}
        .log li{color:var(--muted);margin:4px 0;white-space:pre-line;overflow-wrap:anywhere}
        .log li.latest{color:var(--fg);font-weight:600}
        .legend{font-size:13px;color:var(--muted);margin:0 0 10px}
        .table-wrap{overflow-x:auto;-webkit-overflow-scrolling:touch;border:1px solid var(--border);border-radius:10px;
        max-width:100%}
        table{border-collapse:separate;border-spacing:0;width:100%;font-size:14px}
        th,td{padding:8px 12px;text-align:left;vertical-align:top;border-bottom:1px solid var(--border)}
        tbody tr:last-child>*{border-bottom:0}
        thead th{background:var(--subtle);font-weight:600;white-space:nowrap;font-size:13px}
        table.grid{width:max-content;min-width:100%}
        .grid tbody tr{background:var(--surface)}
        .grid tbody tr:nth-child(even){background:var(--zebra)}
        .grid th.grp{font-size:11px;text-transform:uppercase;letter-spacing:.06em;color:var(--muted);
        padding-top:6px;padding-bottom:4px;border-bottom:0}
        .grid .o1{border-left:1px solid var(--border)}
        .grid .idx{position:sticky;left:0;z-index:1;background:inherit;font-variant-numeric:tabular-nums;
        color:var(--muted);text-align:right;border-right:1px solid var(--border);width:1%}
        .grid thead .idx{background:var(--subtle)}
        .grid tr.failed{background:color-mix(in srgb,var(--bad-bg) 35%,var(--surface))}
        .cell{min-width:3rem;max-width:18rem;overflow-wrap:break-word;white-space:pre-line}
        .cell.wide{max-width:40rem}
        .error-cell{color:var(--bad-fg);font-weight:500}
        .pending{color:var(--muted);font-style:italic}
        .mk{font-size:11px;margin-right:2px;vertical-align:1px}
        .cite{display:inline-block;font-size:11px;line-height:1;padding:3px 5px;margin-left:3px;border-radius:5px;
        background:var(--subtle);border:1px solid var(--border);text-decoration:none;vertical-align:1px}
        .cites{white-space:nowrap}
        .nowrap{white-space:nowrap}
        .fields th[scope=row]{white-space:nowrap;font-weight:500}
        details.long summary,details.why summary{cursor:pointer;color:var(--muted)}
        details.why{margin-top:6px;font-size:13px;color:var(--muted)}
        details.long[open] summary{margin-bottom:4px}
        .sources{margin:0;padding-left:1.6em}
        .sources li{margin:4px 0;overflow-wrap:anywhere}
        .host{color:var(--muted);font-size:12.5px;margin-left:4px}
        .md{overflow-wrap:anywhere}
        .md>:first-child{margin-top:0}.md>:last-child{margin-bottom:0}
        .md h1,.md h2,.md h3,.md h4,.md h5,.md h6{line-height:1.3;margin:1.3em 0 .5em}
        .md h1{font-size:1.35rem}.md h2{font-size:1.2rem}.md h3{font-size:1.07rem}.md h4,.md h5,.md h6{font-size:1rem}
        .md p,.md ul,.md ol,.md pre,.md blockquote,.md .md-table{margin:0 0 .9em}
        .md li{margin:.2em 0}
        .md code{background:var(--code);border-radius:4px;padding:.1em .35em}
        .md pre{background:var(--code);border-radius:8px;padding:12px;overflow-x:auto;white-space:pre}
        .md pre code{background:none;padding:0}
        .md blockquote{border-left:3px solid var(--border);margin-left:0;padding-left:12px;color:var(--muted)}
        .md hr{border:0;border-top:1px solid var(--border);margin:1.2em 0}
        .md-table{width:fit-content;max-width:100%;overflow-x:auto;border:1px solid var(--border);
        border-radius:8px}
        .md-table table{width:max-content;font-size:14px}
        .md-table td{max-width:20rem}
        .md-table tbody tr:nth-child(even){background:var(--zebra)}
        .al-l{text-align:left}.al-c{text-align:center}.al-r{text-align:right}
        .error-page{max-width:560px;margin:40px auto;text-align:center;padding:28px 20px}
        .status-code{font-size:3rem;font-weight:750;color:var(--muted);margin:0;line-height:1}
        .error-page h1{margin:10px 0 8px}
        footer{max-width:1180px;margin:0 auto;padding:4px 14px 28px;color:var(--muted);font-size:12.5px}
        @media (max-width:600px){body{font-size:15px}main{padding:14px 10px 6px}.card{padding:13px;border-radius:10px}
        h1{font-size:1.3rem}.views{margin-left:0;width:100%}th,td{padding:7px 9px}footer{padding:4px 10px 24px}
        .results .table-wrap{margin:0 -13px -13px;max-width:none;border-width:1px 0 0;border-radius:0 0 10px 10px}
        .cell{max-width:15rem}
        .fields,.fields tbody,.fields tr,.fields th,.fields td{display:block;width:auto}
        .fields thead{display:none}
        .fields tr{padding:10px 12px;border-bottom:1px solid var(--border)}
        .fields tbody tr:last-child{border-bottom:0}
        .fields tr>*{border:0;padding:0}
        .fields .cell.wide{max-width:none;margin:2px 0 4px}
        .fields td.nowrap,.fields td.cites{display:inline-block;font-size:13px;margin-right:6px}}

        """
}
