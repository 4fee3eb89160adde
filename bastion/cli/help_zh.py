"""The Chinese of every ``bastion … --help``: each English help text of the command line, and its Chinese.

:data:`ZH` is keyed by the English as the command's docstring or the option's ``help=`` says it (its words one
space apart), so the English stays where it is written and its Chinese is here, once: a shared option
(``--tenant``, ``--format`` …) is one entry for every command that takes it. Change an English text and its
entry no longer matches: ``tests/app/test_cli_help.py`` fails until the Chinese is read again under the new
English. The entries follow ``bastion --help``: the top level, its commands, then each sub-app.

A tenant is 单位, as in every message of the command line. An option's name, a code and an example value
(``--period``, ``branch``, ``2026-H1``, ``ZB00006``) stay as they are typed. The first sentence of a command's
Chinese (up to 。) is what the list of commands shows of it.
"""

from __future__ import annotations

__all__ = ["EXTRAS", "HEADINGS", "OPTIONS_METAVAR", "SUBCOMMAND_METAVAR", "USAGE", "ZH"]

# The words click and Typer write around the help texts.
USAGE = "用法："
HEADINGS = {"Usage": "用法", "Arguments": "参数", "Options": "选项", "Commands": "命令"}
EXTRAS = {"default": "默认", "required": "必填", "env var": "环境变量"}  # [default: table; required]
OPTIONS_METAVAR = "[选项]"
SUBCOMMAND_METAVAR = "命令 [参数]..."

ZH: dict[str, str] = {
    # bastion, and the options of every command (common.py; Typer's and click's own)
    "Bastion — 党支部目标管理考核 (party-branch target-responsibility assessment).": "Bastion — 党支部目标管理考核。",
    "Show the version and exit.": "显示版本号并退出。",
    "Install completion for the current shell.": "为当前 shell 安装命令补全。",
    "Show completion for the current shell, to copy it or customize the installation.":
        "显示当前 shell 的命令补全脚本，供复制或自行安装。",
    "Show this message and exit.": "显示本帮助并退出。",
    "Tenant code (default: the only tenant).": "单位编码（默认：唯一的单位）。",
    "Cycle year (default: the tenant's only cycle).": "考核年度（默认：该单位唯一的考核年度）。",
    "2026, 2026-H1, 2026-Q3 or 2026-07 (default: the cycle's year).":
        "考核期：2026、2026-H1、2026-Q3 或 2026-07（默认：整个考核年度）。",
    "table (for people), json or csv (stable codes and raw values; CSV: UTF-8 with BOM).":
        "table（供人阅读）、json 或 csv（稳定的编码和原始值；CSV 为带 BOM 的 UTF-8）。",

    # score, publish, results, incentives, explain, correct, verify
    "Score a period now (draft results, replacing the period's earlier drafts).":
        "立即对考核期评分。生成草稿结果，替换该考核期此前的草稿。",
    "Publish a scored period and apply the scheme's incentive policies (奖惩).":
        "发布已评分的考核期，按方案的奖惩政策兑现奖惩。",
    "The ranking of a period: total, rate, grade, rank, tier, vetoes (of one level: branches by default).":
        "查看考核期排名。列出总分、得分率、等次、名次、档次和一票否决（某一层级的排名，默认为党支部）。",
    "Which level's ranking: branch (党支部), general_branch (党总支), committee (党委) or group (党小组), "
    "where the scheme assesses it.":
        "哪一层级的排名：branch（党支部）、general_branch（党总支）、committee（党委）或 group（党小组），"
        "须为方案考核的层级。",
    "The rewards, sanctions, talks, rectifications and multipliers a published period brought (奖惩兑现); with "
    "--by-branch or --pool, what they bind per branch: coefficients, the pool's amounts, multipliers, bars.":
        "查看已发布考核期的奖惩兑现。列出奖励、处罚、约谈、整改和系数；加 --by-branch 或 --pool 时按党支部列出奖惩的"
        "实际效力：奖金分配系数、奖金池分配金额、年度考核乘数和取消评先资格的期限。",
    "table (for people), json, csv or xlsx (json, csv: stable codes and raw values; xlsx needs --output).":
        "table（供人阅读）、json、csv 或 xlsx（json、csv 为稳定的编码和原始值；xlsx 须给出 --output）。",
    "A bonus pool in yuan (500000, 100000.01): each branch's amount, in proportion to its coefficient (× its "
    "members where the policy says so), in fen that add up to the pool.":
        "奖金池金额（元，如 500000 或 100000.01）：按各党支部的分配系数（政策规定按人数分配的，再乘以党员人数）"
        "分配，精确到分，合计恰为奖金池金额。",
    "One row per branch: its bonus coefficient, its unit's multiplier and its bar (implied by --pool).":
        "每个党支部一行：奖金分配系数、单位年度考核乘数和取消评先资格的期限（--pool 时亦然）。",
    "Write the json, csv or xlsx to this file instead of the terminal.":
        "将 json、csv 或 xlsx 写入该文件，而不是输出到终端。",
    "Why a branch got its score: every indicator's points, rule, reason and evidence (csv: one line each).":
        "说明党支部的得分。逐项列出各指标的得分、评分规则、理由和依据（csv：每项一行）。",
    "Organisation code.": "组织编码。",
    "Correct one indicator's points of a result (更正), in any state; ranks, tiers and awards follow, audited.":
        "更正考核结果中一个指标的得分。任何状态下均可更正，名次、档次和奖惩随之调整，记入审计日志。",
    "The branch whose result is corrected.": "被更正结果的党支部（组织编码）。",
    "The indicator's code.": "指标编码。",
    "The corrected points.": "更正后的得分。",
    "Why (更正理由): kept in the explanation and the audit.": "更正理由：记入得分说明和审计日志。",
    "The administrator making the correction (a user).": "作出更正的管理员（用户名）。",
    "Score a published period again from its frozen inputs and scheme and compare it with its stored results, "
    "line by line: 一致 / identical, or each difference (exit 1). With --late, the late facts too: the differences "
    "they would make. Reads only.":
        "核验已发布的考核期。按其冻结的依据（评分时已记录的台账、检查发现、测评和目标值）和本年度方案重新计算，"
        "与已存结果逐行比对：一致，或列出每处差异（退出码 1）。加 --late 时连同迟到的事实一并计算：列出它们会造成的差异。只读。",
    "Score it with the late facts too (every fact dated in it, recorded up to now; the correction route): the "
    "differences they would make, for a correction.":
        "连同迟到的事实一并计算（日期在该期内、至今已记录的全部事实，即走更正的迟到事实）：列出它们会造成的差异，供决定是否更正。",

    # run, confirm, stages, bulletins, serve, deploy
    "Run a stage of the calendar now, as a Prefect flow (a stage that already succeeded does nothing).":
        "立即运行考核日历中的一个阶段。以 Prefect 流程运行；已成功完成的阶段不再重复运行。",
    "spot_check, monthly, quarterly, half_year, annual or rectification.":
        "阶段：spot_check（随机抽查）、monthly（月评价）、quarterly（季通报）、half_year（半年检查）、"
        "annual（年终考核）或 rectification（整改跟踪）。",
    "The day the stage acts on, YYYY-MM-DD (default: today).": "阶段所依据的日期，格式 YYYY-MM-DD（默认：今天）。",
    "Confirm the annual results under the leaders' review, as a Prefect flow: publish them, their incentives "
    "and the bulletin.":
        "确认领导审核中的年度考核结果。以 Prefect 流程运行：发布结果、奖惩兑现和通报。",
    "The stage runs of a tenant: what ran, when, with what result; the tries when there was more than one, "
    "and the Prefect flow run (blank when the stage ran in-process, without Prefect).":
        "查看单位的阶段运行记录。列出运行了什么、何时运行、结果如何；尝试多次的列出次数；"
        "以及 Prefect 流程运行（在本进程内运行、未经 Prefect 的留空）。",
    "The bulletins (通报) in a cycle's archive, every version a correction re-issued: period, version, in force "
    "or superseded, title, the .docx and the .xlsx.":
        "查看考核年度归档中的通报，含更正后重新印发的各版。列出考核期、版次、现行或已作废、标题及 .docx 和 .xlsx 文件。",
    "Serve every tenant's calendar as Prefect deployments with cron schedules (Asia/Shanghai) until stopped.":
        "按各单位的考核日历定时运行各阶段，直至停止。以 Prefect 部署运行，cron 定时按北京时间。",
    "Register every tenant's calendar with a standing Prefect server, for the workers of a work pool.":
        "向常驻的 Prefect 服务器注册各单位的考核日历。由指定工作池的工作进程运行各阶段。",
    "The Prefect work pool whose workers run the stages.": "运行各阶段的 Prefect 工作池。",

    # demo, ui
    "Build a sample enterprise, run its year's assessment, print the ranking and open the dashboard.":
        "构建示范企业并完成其年度考核。打印排名，并打开领导驾驶舱。",
    "Do everything but open the dashboard, then exit.": "完成其余各步，不打开领导驾驶舱，随即退出。",
    "How many branches (党支部) the sample enterprise has.": "示范企业的党支部数量。",
    "Random seed: the same seed gives the same enterprise and results.": "随机种子：种子相同，生成的企业和考核结果也相同。",
    "The assessment year to run.": "要运行的考核年度。",
    "The scheme the sample enterprise runs (see `bastion plugins list`).": "示范企业采用的方案（见 `bastion plugins list`）。",
    "Port of the UI server.": "界面服务的端口。",
    "Start the web UI (dashboard and workspaces) on the configured database.":
        "启动 Web 界面（领导驾驶舱和各工作台）。使用已配置的数据库。",
    "Address to listen on (0.0.0.0: every interface).": "监听地址（0.0.0.0：所有网络接口）。",
    "Don't open a browser page.": "不打开浏览器页面。",

    # db
    "The database: migrations.": "数据库迁移。",
    "Migrate the database to the latest schema (or REVISION).": "将数据库迁移到最新结构（或指定的 REVISION）。",
    "Target revision.": "目标版本。",
    "Show the database's schema revision and the latest one.": "显示数据库当前的结构版本和最新版本。",

    # tenant
    "Tenants (enterprises).": "单位（租户，即企业）。",
    "Create a tenant and enable its plugins.": "创建单位并启用其插件。",
    "Short code, e.g. sinopec-sc.": "单位简码，如 sinopec-sc。",
    "The enterprise's name.": "单位名称。",
    "Plugin to enable (repeat); default: every built-in.": "要启用的插件（可重复）；默认：全部内置插件。",
    "Enable plugins for a tenant: their schemes, rule types, ledger types and policies become its own.":
        "为单位启用插件。插件提供的方案、规则类型、台账类型和奖惩政策即为该单位所用。",
    "Installed plugin names (see `bastion plugins list`).": "已安装的插件名（见 `bastion plugins list`）。",
    "Disable plugins for a tenant (cycles already opened keep their frozen scheme).":
        "为单位停用插件。已开启的考核年度仍沿用其冻结的方案。",
    "Plugin names the tenant enables.": "该单位已启用的插件名。",
    "List the tenants and their enabled plugins.": "列出各单位及其已启用的插件。",
    "Set a tenant's settings: whether it takes late facts (迟到的台账、检查发现), its quiet hours. Audited.":
        "设置单位的选项：是否接受迟到的台账和检查发现、免打扰时段。留痕审计。",
    "When no notification goes out but to the inbox, e.g. 22:00-07:00 (\"\" for none).":
        "免打扰时段：其间除站内通知外不发送任何通知，如 22:00-07:00（\"\" 表示不设）。",
    "allow: a ledger entry or finding dated in a closed period is taken, booked in the next period or kept for a "
    "correction (the user chooses); refuse: it is refused (the default).":
        "allow：日期在已关闭考核期内的台账或检查发现仍予接受，由录入人选择计入下一考核期或走更正；"
        "refuse：拒绝（默认）。",

    # cycle, target
    "Assessment cycles (考核年度).": "考核年度。",
    "Open a year's cycle: freeze the scheme version and its targets.": "开启考核年度，冻结方案版本及其目标值。",
    "The assessment year.": "考核年份。",
    "Scheme id (default: the tenant's only scheme).": "方案 ID（默认：该单位唯一的方案）。",
    "List a tenant's cycles and where each stands (进行中 / 待领导审核 / 已发布, by its annual results).":
        "列出单位的考核年度及其进度。进度以年度结果为准：进行中 / 待领导审核 / 已发布。",
    "Targets (目标值) of a cycle.": "考核年度的目标值。",
    "Adjust a target for one branch or one category (因地制宜), with the reason.":
        "调整一个党支部或一类党支部的目标值（因地制宜），并说明理由。",
    "Indicator code.": "指标编码。",
    "The new target.": "新的目标值。",
    "Why (recorded in the audit trail).": "调整理由（记入审计日志）。",
    "Organisation code (one branch).": "组织编码（单个党支部）。",
    "Branch category (every branch of it).": "党支部类别（该类别的全部党支部）。",

    # plugins
    "Installed plugins.": "已安装的插件。",
    "Installed plugins: name, version, what each contributes, which tenants enable it; then every fault "
    "(a plugin left out, a hook that raised), which is not a failure of the listing.":
        "列出已安装的插件。列出名称、版本、各自提供的内容、启用它的单位；随后列出每个问题"
        "（未加载的插件、出错的钩子），列出问题不算命令失败。",
    "Validate every installed plugin and scheme; exit 1 naming each fault (plugin, where, what).":
        "校验全部已安装的插件和方案。有问题时逐条列出（插件、位置、问题），退出码为 1。",

    # user
    "Users of the UI and their roles (管理员/领导/督查人员/支部书记/审计管理员).":
        "系统用户及其角色。角色有管理员、领导、督查人员、支部书记、审计管理员。",
    "Create a user with a role (the first administrator: `bastion user add admin --role admin`).":
        "创建用户并授予角色。第一个管理员：`bastion user add admin --role admin`。",
    "Login name, unique across tenants.": "登录名，在所有单位中唯一。",
    "admin, leader, inspector, secretary or auditor.":
        "角色：admin（管理员）、leader（领导）、inspector（督查人员）、secretary（支部书记）或 auditor（审计管理员）。",
    "Asked for when not given (or set BASTION_NEW_PASSWORD); at least 8 characters, of three of: upper-case, "
    "lower-case, digits, symbols.":
        "未给出时提示输入（或设置 BASTION_NEW_PASSWORD）；至少 8 个字符，含大写字母、小写字母、数字、符号中的三类。",
    "Organisation code the role covers with everything under it (default: the whole tenant).":
        "角色所管的组织编码，含其全部下级（默认：全单位）。",
    "Name shown in the UI.": "界面上显示的姓名。",
    "Grant a user another role (on an organisation's subtree).": "为用户增加角色（可限于某一组织及其下级）。",
    "Take a role back.": "撤销用户的角色。",
    "Set a user's password.": "设置用户密码。",
    "End a user's lockout after too many failed logins.": "解除用户因多次登录失败而被锁定的状态。",
    "List the tenant's users and their roles.": "列出单位的用户及其角色。",

    # ballots
    "Secret ballots (民主测评): open a round, print its codes, follow it, close it.":
        "无记名民主测评：开启测评轮次、生成测评码、查看参评情况、结束计票。",
    "Open the period's round: who may vote on each branch is drawn from the tree and the members' register.":
        "开启考核期的民主测评：按组织树和党员名册抽取各党支部的应参评人员（只记人数）。",
    "The last day to vote (default: 14 days on).": "投票截止日期（默认：14 天后）。",
    "The day raters are drawn on (default: today).": "抽取应参评人员所依据的日期（默认：今天）。",
    "Issue the round's one-time codes and write them as slips — once: only their digests are kept.":
        "生成本轮的一次性测评码并写成测评票——只生成一次：系统只保存其摘要。",
    "The slips: .pdf (to print), .csv or .xlsx.": "测评码文件：.pdf（打印裁切）、.csv 或 .xlsx。",
    "The UI's address the QR codes open (default: BASTION_PUBLIC_URL).":
        "二维码指向的系统地址（默认：BASTION_PUBLIC_URL）。",
    "Turnout per branch and source against the quorum: counts only.": "各党支部、各测评类别的参评情况和法定票数：只有人数。",
    "Anomaly flags of the round: straight-lining, outliers, a lenient or severe source, low turnout.":
        "本轮民主测评的异常提示：一律同分、离群票、来源偏宽或偏严、参评不足。",
    "The ballot rounds, latest first.": "民主测评轮次，最近的在前。",
    "Key in a paper ballot by its code: cast once, like the ballot page, in the keyer's name.":
        "按测评码录入纸质测评票：与投票页面一样只能投一次，审计日志记录录入人。",
    "The code on the paper ballot.": "纸质测评票上的测评码。",
    "question=answer: overall=90, A1=优秀 (repeat).": "问题=答案：overall=90、A1=优秀（可重复）。",
    "The ballot's comment, if any.": "测评票上的意见建议（如有）。",
    "Exclude a ballot of the open round (作废), with the reason: kept, audited, not counted.":
        "作废本轮的一张测评票并写明理由：保留记录、写入审计日志、不计票。",
    "The ballot's key in the box.": "测评票在投票箱中的票号。",
    "Why it is excluded (作废理由).": "作废理由。",
    "Close the round: its ballots are counted (once) — into ratings of the period, or into the members' grades.":
        "结束本轮并计票（只计一次）：民主测评计入本考核期的测评，民主评议党员计入党员的评议等次。",
    "branches (民主测评 of the branches, the default) or members (民主评议党员: a branch's members rate each member).":
        "测评类型：branches（民主测评党支部，默认）或 members（民主评议党员：支部党员互评每名党员）。",
    "The members' grades of a closed review of members (民主评议党员): tallies, grade and why.":
        "已结束的民主评议党员的结果：得票、等次及理由。",
    "One branch's members only.": "只看这一个党支部的党员。",
    "The day it closes (default: today).": "结束计票的日期（默认：今天）。",

    # duties and lists
    "Members' duties (党员岗位职责): set, record fulfilled, end, list.": "党员岗位职责：定责、记录履职、结束、列表。",
    "Responsibility lists (责任清单) of the units' secretaries: items, ticks with evidence.":
        "书记责任清单：清单事项、落实记录及佐证。",
    "A branch's duties of a year, each with how often it was fulfilled.": "党支部某年度的党员岗位职责及各自的履职次数。",
    "A unit's responsibility list of a year, each item with how often it was done and the last evidence.":
        "某单位某年度的书记责任清单：各事项的落实次数和最近一次佐证。",
    "Add an item to a unit's list (an administrator over the unit).": "为单位的责任清单增加事项（由其上级管理员维护）。",
    "The duty's id (bastion duties list).": "职责编号（见 bastion duties list）。",
    "The duty's id.": "职责编号。",
    "The item's id (bastion lists show).": "清单事项编号（见 bastion lists show）。",
    "The item's id.": "清单事项编号。",
    "The user doing it: the branch's secretary or an administrator.": "操作用户：党支部书记或管理员。",
    "End a duty (it and its records are kept).": "结束一项职责（职责及其履职记录保留）。",
    "Give a member a duty for the year.": "为党员确定本年度的岗位职责。",
    "Record a duty fulfilled on a day.": "记录某日的履职情况。",
    "Take an item off the list (kept, with its ticks).": "将事项移出清单（事项及其落实记录保留）。",
    "The day it was done (YYYY-MM-DD).": "落实日期（YYYY-MM-DD）。",
    "The day it was fulfilled (YYYY-MM-DD).": "履职日期（YYYY-MM-DD）。",
    "The duty, up to 300 characters.": "职责内容，不超过 300 个字符。",
    "The item.": "清单事项。",
    "The year (default: this year).": "年度（默认：今年）。",
    "Tick an item done on a day, with its evidence.": "记录清单事项某日落实，并写明佐证。",
    "What was done, where it is recorded.": "落实情况及佐证（做了什么、记录在哪里）。",
    "What was done.": "履职情况。",
    "post (以岗定责), set (设岗定责) or claimed (认岗定责).": "定责方式：post（以岗定责）、set（设岗定责）或 claimed（认岗定责）。",

    # schemes as files, what-if
    "Schemes as files (方案文件): export, check, adopt, list.": "方案文件：导出、校验、采用、列表。",
    "A scheme file (.yaml/.json) or a scheme's id.": "方案文件（.yaml/.json）或方案编号。",
    "Adopt a scheme file as the tenant's, a version of its own: cycles opened from now on may freeze it.":
        "采用方案文件作为本单位方案的新版本：此后开启的考核年度可选用。",
    "Check a scheme file: its format, and that the tenant's plugins provide what it names.":
        "校验方案文件：格式，以及其中的规则类型、台账类型和奖惩政策是否由本单位启用的插件提供。",
    "The scheme's id (bastion scheme list).": "方案编号（见 bastion scheme list）。",
    "The schemes the tenant may open a cycle with: the plugins' and those adopted from files (the latest).":
        "本单位可用于开启考核年度的方案：插件提供的，以及由文件采用的（最新版本）。",
    "Also write the table as .xlsx.": "同时将对照表写成 .xlsx。",
    "Score a past period under another scheme beside its stored results; nothing is written.":
        "用另一方案对过去的考核期试算，与已存结果对照；不写入任何数据。",
    "The file to write: .yaml (or .yml) or .json.": "写出的文件：.yaml（或 .yml）或 .json。",
    "The scheme file: .yaml, .yml or .json.": "方案文件：.yaml、.yml 或 .json。",
    "Write a scheme to a file, to edit it and adopt the edit as the next version.":
        "将方案写成文件，修改后可作为下一版本采用。",

    "A branch's assessment archive (考核档案) of a year as .docx — or every branch's, zipped.":
        "导出党支部某年度的考核档案（.docx），或全部党支部的（.zip）。",
    "The user reading it: the branch's secretary, the office.": "读取档案的用户：党支部书记或组织部门。",
    "The .docx (one branch) or .zip (--all) to write.": "写出的 .docx（一个党支部）或 .zip（--all）。",
    "The branch (组织编码).": "党支部（组织编码）。",
    "Every branch's archive, in one .zip (the office).": "全部党支部的考核档案，打包为一个 .zip（组织部门）。",

    # rectification
    "Rectification notices (整改通知书): list, answer, re-verify (复验).": "整改通知书：列表、反馈、复验。",
    "The tenant's notices by deadline: number, organisation, problem, deadline, status.":
        "按整改期限列出单位的整改通知书。列出编号、组织、问题、整改期限和状态。",
    "issued, responded, verified, reopened or overdue.":
        "状态：issued（待整改）、responded（已反馈，待复验）、verified（复验通过）、reopened（复验未通过）"
        "或 overdue（逾期）。",
    "One organisation's notices.": "只列某一组织的整改通知书。",
    "A branch answers a notice.": "党支部反馈整改通知书的整改情况。",
    "The notice number, e.g. ZG2026-00012.": "整改通知书编号，如 ZG2026-00012。",
    "What was rectified, and how (整改情况).": "整改情况：整改了什么、如何整改。",
    "Re-verify (复验) an answered notice: --passed closes it, --failed reopens it with a new deadline.":
        "复验已反馈的整改通知书。--passed 通过并办结，--failed 不通过并重新限期整改。",
    "The notice number.": "整改通知书编号。",
    "The re-verification's result.": "复验结果。",
    "What the re-verification found.": "复验情况。",
    "New deadline (YYYY-MM-DD) when it failed.": "复验不通过时新的整改期限（YYYY-MM-DD）。",

    # review
    "Graded leader review (分级点评) of organisations.": "对组织的分级点评。",
    "Record a leader's review of an organisation: achievements, problems, direction.":
        "记录领导对组织的点评：成绩、问题、今后努力方向。",
    "The organisation reviewed.": "被点评的组织（组织编码）。",
    "The leader reviewing (a user with the leader role over the organisation): the review is in their name.":
        "点评的领导（对该组织有领导角色的用户）：点评以其本人名义记录。",
    "成绩.": "成绩。",
    "问题.": "问题。",
    "今后努力方向.": "今后努力方向。",
    "The reviews of a cycle (of one period with --period).": "列出考核年度的分级点评（加 --period 只列该考核期的）。",

    # notify, inbox, channels
    "Notification channels (通知渠道): list, set, turn off.": "通知渠道：查看、设置、关闭。",
    "The channels the tenant's plugins provide and how each is set (never a secret).":
        "列出本单位已启用的插件提供的通知渠道及其设置（不显示密钥）。",
    "The channel: email, wecom, dingtalk …": "渠道：email（电子邮件）、wecom（企业微信群机器人）、dingtalk（钉钉群机器人）等。",
    "A setting as name=value (repeat); given, they replace the channel's settings.":
        "设置项，写作 名称=值（可重复）；给出时替换该渠道原有的全部设置。",
    "A secret setting (an access token …) as name=VARIABLE: its value read from that environment variable, never "
    "typed on the line (repeat).":
        "秘密设置项（如 access_token），写作 名称=环境变量名：其值从该环境变量读取，不在命令行中输入（可重复）。",
    "An event the channel carries (repeat); none given: as before (at first, all).":
        "该渠道发送的通知事项（可重复）；不给出时保持原样（初次设置时为全部）。",
    "The channel carries every event.": "该渠道发送全部通知事项。",
    "The environment variable holding the channel's secret (never typed on the line).":
        "存放该渠道密钥的环境变量名（密钥不在命令行中输入）。",
    "Forget the channel's secret.": "删除该渠道的密钥。",
    "Turn the channel off (its settings kept).": "关闭该渠道（保留其设置）。",
    "Turn a channel on for the tenant with its settings, events and secret (or off with --off); audited, the "
    "secret only as set or cleared.":
        "为本单位开启通知渠道并设置其选项、通知事项和密钥（--off 关闭）；留痕审计，密钥只记“已设置”或“已删除”。",
    "The address the e-mail channel writes to (\"\" clears it).": "电子邮件渠道发送的地址（\"\" 表示删除）。",
    "The language of what is sent to them: zh or en.": "发给该用户的通知所用语言：zh 或 en。",
    "Set a user's e-mail address and language (for notifications); audited, the address masked.":
        "设置用户的电子邮件地址和通知语言；留痕审计，地址脱敏记录。",
    "Put what today brings in the outbox (deadlines, terms, ballots, meetings) and deliver what is due, once, "
    "on every channel; every tenant unless --tenant.":
        "把今天应发的提醒（整改期限、书记任期、民主测评、三会一课）放入发件箱，并在各渠道发送到期的通知，每条只发一次；"
        "不加 --tenant 时处理所有单位。",
    "Say what would go; write and send nothing.": "只列出将要发送的通知，不写入也不发送。",
    "The moment to act at (ISO; default: now).": "按此时刻处理（ISO 格式；默认：现在）。",
    "A user's in-app notifications (站内通知): list, mark read.": "用户的站内通知：查看、标为已读。",
    "The user whose inbox it is.": "收件箱所属的用户（用户名）。",
    "The user's notifications, the latest first, and how many are unread.": "列出该用户的通知（最新的在前）和未读条数。",
    "The notifications read (default: all).": "标为已读的通知编号（默认：全部）。",
    "Mark the user's notifications read (those numbered, or all).": "把该用户的通知标为已读（指定编号的，或全部）。",

    # appeal
    "Appeals (申诉) against a line of a published result: lodge, decide, list.":
        "对已发布考核结果中某项指标得分的申诉：提出、办理、查看。",
    "The user doing it: the branch's secretary lodges, an administrator decides.":
        "操作用户：党支部书记提出申诉，管理员办理。",
    "The appeals the user may see (of one cycle with --year), the latest first.":
        "列出该用户可查看的申诉（加 --year 只列该考核年度的），最新的在前。",
    "lodged, accepted or rejected (default: all).": "lodged（待办理）、accepted（申诉成立）或 rejected（不予支持）（默认：全部）。",
    "Appeal one line of the branch's published result, within the scheme's window after publication.":
        "对本支部已发布考核结果中的一项指标得分提出申诉，须在考核方案规定的申诉期内（发布后）。",
    "The branch appealing (its code).": "提出申诉的党支部（组织编码）。",
    "The indicator whose points are appealed.": "申诉的指标（指标编码）。",
    "Why the points are wrong (申诉理由).": "申诉理由。",
    "A file backing the appeal (repeat for several).": "佐证材料文件（可重复指定多个）。",
    "Decide an appeal: --accept --points N corrects the line (ranks, tiers, awards and bulletin follow), or "
    "--reject; the reason either way.":
        "办理申诉：--accept --points N 申诉成立并更正该项得分（排名、档次、奖惩和通报随之更新），或 --reject 不予支持；均须写明理由。",
    "The appeal's number.": "申诉编号。",
    "The decision's reason (办理意见).": "办理意见。",
    "Accept (申诉成立: the line is corrected) or reject (不予支持).": "申诉成立（更正该项得分）或不予支持。",
    "The corrected points, when accepted.": "申诉成立时更正后的得分。",

    # members
    "The party members' register (党员名册): list, export, add, transfer, leave, history.":
        "党员名册：查看、导出、登记、组织关系转接、离开名册、转接记录。",
    "The members this user may see, with personal data as their role shows it.":
        "列出该用户可查看的党员。个人信息按其角色显示。",
    "The user doing it: what they may see and change is their role's.": "操作的用户（用户名）：可查看和修改的范围由其角色决定。",
    "Only this branch or group (and its groups).": "只列该党支部或党小组（含其党小组）的党员。",
    "Also the members who left the register.": "同时列出已离开名册的党员。",
    "Write the register to a file instead: .csv (the import template's columns: it imports back) or .xlsx; "
    "personal data as this user's export shows it.":
        "改为写入文件：.csv（导入模板的列，可再次导入）或 .xlsx。个人信息按该用户导出时的显示方式。",
    "A member's moves (组织关系转接): onto the register, between organisations, off it.":
        "列出党员的组织关系转接记录：登记入名册、在组织间转接、离开名册。",
    "The member's number (党员编号).": "党员编号。",
    "Add a member to the register, or edit one (a different --org is a transfer and needs --on).":
        "登记或修改党员。--org 与名册中不同即为组织关系转接，须加 --on。",
    "The member's number (党员编号): a new one adds, a known one edits.": "党员编号：新编号为登记，已有编号为修改。",
    "The branch or party group.": "党支部或党小组（组织编码）。",
    "The member's name.": "党员姓名。",
    "full (正式党员) or probationary (预备党员).": "full（正式党员）或 probationary（预备党员）。",
    "male (男) or female (女).": "male（男）或 female（女）。",
    "Birth date (YYYY-MM-DD).": "出生日期（YYYY-MM-DD）。",
    "The day they joined the party (YYYY-MM-DD).": "入党日期（YYYY-MM-DD）。",
    "Post or duty (岗位).": "岗位或职务。",
    "Mobile or landline.": "手机号码或固定电话。",
    "For a member moving: the transfer's day.": "党员转接组织关系时：转接日期。",
    "Move a member's organisational relationship (组织关系转接), dated; both head counts follow.":
        "办理党员组织关系转接，注明日期。转出、转入组织的党员人数随之更新。",
    "The branch or party group the relationship moves to.": "转入的党支部或党小组（组织编码）。",
    "The day (YYYY-MM-DD).": "日期（YYYY-MM-DD）。",
    "The reason or the letter's number (介绍信).": "原因或介绍信编号。",
    "A member leaves the register (转出本单位, 出党, 去世): the record stays, with its history.":
        "党员离开名册（转出本单位、出党、去世）。记录保留，连同其转接记录。",
    "Why: transferred out, expelled, deceased …": "原因：转出本单位、出党、去世……",

    # standings
    "Standings (分类定级、提档升级): what each branch holds, its history, relapses flagged.":
        "分类定级、提档升级：各党支部的档次（星级）、定级记录和反弹预警。",
    "Each branch's standing now (or after a cycle's year): since when, by what and why.":
        "列出各党支部当前的档次（或某考核年度之后的档次）。注明自何时起、因何定级及理由。",
    "The standings as they stood after that cycle's last publication (default: now).":
        "该考核年度最后一次发布之后的档次（默认：当前）。",
    "Every step of a branch's standing: the grading's moves, relapses, corrections and sets by hand.":
        "列出党支部档次的每一次变动：定级时的提档、降档、保持，反弹，更正和上级定级。",
    "The branch.": "党支部（组织编码）。",
    "The relapses flagged between gradings (反弹预警), latest first.": "列出两次定级之间认定的反弹（反弹预警），最近的在前。",
    "Only the relapses of that cycle.": "只列该考核年度的反弹。",
    "Set a branch's standing by hand (分类定级 by the superior), audited; it holds until the next grading moves it.":
        "由上级为党支部定级（分类定级）。记入审计日志；此档次保持到下一次定级调整为止。",
    "A standing of the scheme's ladder, e.g. 四星.": "方案档次序列中的一个档次，如 四星。",
    "Why (定级理由): kept in the history and the audit.": "定级理由：记入定级记录和审计日志。",
    "The administrator setting it (a user).": "定级的管理员（用户名）。",

    # import
    "Import organisations, ledger entries, findings, ratings, restructurings or members from CSV or Excel.":
        "从 CSV 或 Excel 导入组织、台账、督查发现、测评、机构调整或党员名册。",
    "Organisations (党委/党总支/党支部/党小组): added, or updated by code.":
        "导入组织（党委/党总支/党支部/党小组）。按编码新增或更新。",
    "A .csv or .xlsx file (see `bastion import template`).": "一个 .csv 或 .xlsx 文件（见 `bastion import template`）。",
    "Import the file although the same file (by content) was imported before.":
        "即使同一文件（按内容判断）此前已导入过，仍然导入。",
    "Where rows dated in a closed period go, if the tenant takes late facts: next (the next open period) or "
    "correction (their own date, for the office to correct). Without it they are refused.":
        "日期在已关闭考核期内的行（迟到的事实）如何处理（须单位接受迟到的事实）：next（计入下一考核期）或 "
        "correction（走更正：按原日期记录，由党建办更正）。不给出时这些行被拒绝。",
    "Ledger entries (台账): meetings, study, volunteer hours, deeds …": "导入台账。会议、学习、志愿服务时长、先进事迹等。",
    "Check findings (检查发现): deductions and veto items against indicators.":
        "导入督查发现（检查发现）。对照指标的扣分项和一票否决项。",
    "Ratings (测评): ballot scores or levels from members, peers, superiors …":
        "导入测评。党员群众、其他支部书记、上级等所投测评票的分数或评价等级。",
    "Restructurings (机构调整): merges, splits, moves, renames, dissolutions, in the file's order.":
        "导入机构调整。合并、分设、调整隶属、更名、撤销，按文件中行的先后依次办理。",
    "The party members' register (党员名册): members added, or updated by number; a new branch a transfer.":
        "导入党员名册。按党员编号新增或更新党员；组织与名册中不同即为组织关系转接。",
    "Write an import template (header, an example row and, in Excel, a sheet 说明 of the columns).":
        "生成导入模板。含表头和一行示例；Excel 模板另有说明各列的“说明”工作表。",
    "organizations, ledger, findings, ratings or restructure.":
        "导入类型：organizations（组织）、ledger（台账）、findings（督查发现）、ratings（测评）或 restructure（机构调整）。",
    "Where to write it: .xlsx or .csv.": "模板写到哪里：.xlsx 或 .csv 文件。",

    # org
    "Restructure the organisation tree (机构调整): merge, split, move, rename, dissolve, history.":
        "机构调整：合并、分设、调整隶属、更名、撤销及调整记录。",
    "Merge organisations into one (合并): A + B → C. They become inactive, C carries their history, their children "
    "and their facts of the periods not yet closed.":
        "合并组织：A + B → C。原组织停用，C 接续其历次考核结果、下属组织以及尚未审核或发布考核期的台账等记录。",
    "An organisation merged (repeat: two or more).": "被合并的组织编码（可重复，至少两个）。",
    "The code they merge into: a new code, one of them, or another organisation of their level.":
        "合并后的组织编码：新编码，或其中之一，或同一层级的另一个已有组织。",
    "The administrator making the change (a user).": "办理调整的管理员（用户名）。",
    "The new organisation's name (a new code needs one).": "新组织的名称（新编码须填写）。",
    "The new organisation's parent (default: the one they share).": "新组织的上级组织（默认：原组织共同的上级）。",
    "Its category (default: theirs).": "新组织的类别（默认：沿用原组织的类别）。",
    "Its party members (default: their sum).": "新组织的党员人数（默认：各原组织之和）。",
    "The day it takes effect, YYYY-MM-DD, not after today (default: today).":
        "生效日期，YYYY-MM-DD，不晚于今天（默认：今天）。",
    "Why (e.g. the committee's document number): kept with it.": "调整的依据（如党委文件文号），随调整记录保存。",
    "Say what it would do and change nothing.": "只说明将会怎样调整，不作任何改动。",
    "Split an organisation (分设): A → A1 + A2, new codes. A becomes inactive; the heir carries its history.":
        "分设组织：A → A1 + A2，须用新编码。原组织停用，承继历史的新组织接续其历次考核结果。",
    "The organisation's code.": "组织编码。",
    "A new organisation, CODE:NAME or CODE:NAME:MEMBERS (repeat: two or more).":
        "分设出的新组织，写成 编码:名称 或 编码:名称:党员人数（可重复，至少两个）。",
    "The new organisation that carries the history, children and open periods' facts (default: the first).":
        "承继原组织历次考核结果、下属组织及尚未发布考核期记录的新组织（默认：第一个）。",
    "The new organisations' parent (default: the original's).": "新组织的上级组织（默认：原组织的上级）。",
    "Move an organisation, with everything under it, under another parent (调整隶属关系).":
        "调整组织的隶属关系。连同其下属组织一并调整到新的上级组织之下。",
    "The new parent organisation.": "新的上级组织（组织编码）。",
    "Rename an organisation (更名); published periods keep the name they were published with.":
        "组织更名。已发布的考核期仍保留发布时的名称。",
    "The new name.": "新名称。",
    "Dissolve an organisation without active children (撤销): it becomes inactive, its records are kept.":
        "撤销组织（其下不得再有在用的下属组织）。组织停用，记录保留。",
    "The restructurings (机构调整记录), the latest first: kind, date, organisations before and after.":
        "列出机构调整记录，最近的在前。列出调整类型、生效日期及调整前后的组织。",
    "Only the changes of this organisation's lineage (its predecessors and successors).":
        "只列与该组织沿革（其前身和后继组织）有关的调整。",

    # audit
    "The audit trail: verify its hash chain.": "审计日志：核验其哈希链。",
    "Recompute the audit trail's hash chain: exit 1 naming the first row that was changed or removed.":
        "重新计算审计日志的哈希链。有记录被修改或删除时，指出第一条，退出码为 1。",
    "Every tenant's chain (and the rows of no tenant).": "核验所有单位的哈希链（以及不属于任何单位的记录）。",
}
