"""Chinese-locale people: names in characters with their pinyin, mainland mobile numbers,
addresses in Chinese, and the email addresses people in China use.

The names and their frequencies are hand-written from the published rankings of Chinese
family names (the 2020 census: 王, 李, 张 about 7 % each) and common given names of several
generations (秀英 and 建国 of the grandparents, 浩然 and 梓涵 of the children). Several
family names share one pinyin (王 and 汪 are both Wang, 徐 and 许 both Xu, 李 and 黎 both Li),
as in life: a romanised name says less than the characters.
"""

from __future__ import annotations

import random
from itertools import accumulate

__all__ = [
    "CN_CITIES",
    "chinese_address",
    "chinese_email_local",
    "chinese_family",
    "chinese_given",
    "chinese_mobile",
    "pinyin_given",
]

# (characters, pinyin, weight: percent of the population); a two-syllable given name's pinyin
# is written with a hyphen here (`Xiu-ying`) and joined as most people write it (`Xiuying`).
# fmt: off
FAMILY: tuple[tuple[str, str, float], ...] = (
    ("王", "Wang", 7.1), ("李", "Li", 7.0), ("张", "Zhang", 6.7), ("刘", "Liu", 5.5),
    ("陈", "Chen", 4.6), ("杨", "Yang", 3.1), ("黄", "Huang", 2.3), ("赵", "Zhao", 2.2),
    ("吴", "Wu", 2.0), ("周", "Zhou", 1.9), ("徐", "Xu", 1.5), ("孙", "Sun", 1.5),
    ("马", "Ma", 1.3), ("朱", "Zhu", 1.3), ("胡", "Hu", 1.2), ("郭", "Guo", 1.2),
    ("何", "He", 1.2), ("高", "Gao", 1.1), ("林", "Lin", 1.1), ("罗", "Luo", 1.0),
    ("郑", "Zheng", 1.0), ("梁", "Liang", 0.9), ("谢", "Xie", 0.8), ("宋", "Song", 0.8),
    ("唐", "Tang", 0.7), ("许", "Xu", 0.7), ("韩", "Han", 0.7), ("冯", "Feng", 0.7),
    ("邓", "Deng", 0.7), ("曹", "Cao", 0.6), ("彭", "Peng", 0.6), ("曾", "Zeng", 0.6),
    ("肖", "Xiao", 0.6), ("田", "Tian", 0.6), ("董", "Dong", 0.5), ("袁", "Yuan", 0.5),
    ("潘", "Pan", 0.5), ("于", "Yu", 0.5), ("蒋", "Jiang", 0.5), ("蔡", "Cai", 0.5),
    ("余", "Yu", 0.5), ("杜", "Du", 0.5), ("叶", "Ye", 0.5), ("程", "Cheng", 0.5),
    ("苏", "Su", 0.4), ("魏", "Wei", 0.4), ("吕", "Lyu", 0.4), ("丁", "Ding", 0.4),
    ("任", "Ren", 0.4), ("沈", "Shen", 0.4), ("姚", "Yao", 0.4), ("卢", "Lu", 0.4),
    ("姜", "Jiang", 0.4), ("崔", "Cui", 0.4), ("钟", "Zhong", 0.4), ("谭", "Tan", 0.3),
    ("陆", "Lu", 0.3), ("汪", "Wang", 0.3), ("范", "Fan", 0.3), ("金", "Jin", 0.3),
    ("石", "Shi", 0.3), ("廖", "Liao", 0.3), ("贾", "Jia", 0.3), ("夏", "Xia", 0.3),
    ("韦", "Wei", 0.3), ("付", "Fu", 0.3), ("方", "Fang", 0.3), ("白", "Bai", 0.3),
    ("邹", "Zou", 0.3), ("孟", "Meng", 0.3), ("熊", "Xiong", 0.3), ("秦", "Qin", 0.3),
    ("邱", "Qiu", 0.3), ("江", "Jiang", 0.3), ("尹", "Yin", 0.3), ("薛", "Xue", 0.2),
    ("闫", "Yan", 0.2), ("段", "Duan", 0.2), ("雷", "Lei", 0.2), ("侯", "Hou", 0.2),
    ("龙", "Long", 0.2), ("史", "Shi", 0.2), ("陶", "Tao", 0.2), ("黎", "Li", 0.2),
    ("贺", "He", 0.2), ("顾", "Gu", 0.2), ("毛", "Mao", 0.2), ("郝", "Hao", 0.2),
    ("龚", "Gong", 0.2), ("邵", "Shao", 0.2), ("万", "Wan", 0.2), ("钱", "Qian", 0.2),
    ("严", "Yan", 0.2), ("武", "Wu", 0.2), ("戴", "Dai", 0.2), ("莫", "Mo", 0.1),
    ("孔", "Kong", 0.1), ("向", "Xiang", 0.1), ("汤", "Tang", 0.1), ("覃", "Qin", 0.1),
    # compound family names
    ("欧阳", "Ouyang", 0.06), ("司徒", "Situ", 0.02), ("司马", "Sima", 0.01),
    ("上官", "Shangguan", 0.008), ("诸葛", "Zhuge", 0.006), ("皇甫", "Huangfu", 0.005),
    ("东方", "Dongfang", 0.004), ("慕容", "Murong", 0.003),
)
GIVEN: dict[str, tuple[tuple[str, str, float], ...]] = {
    "f": (
        ("秀英", "Xiu-ying", 10), ("桂英", "Gui-ying", 6), ("秀兰", "Xiu-lan", 5),
        ("玉兰", "Yu-lan", 4), ("桂兰", "Gui-lan", 3), ("秀珍", "Xiu-zhen", 3),
        ("凤英", "Feng-ying", 2), ("玉珍", "Yu-zhen", 2), ("玉英", "Yu-ying", 2),
        ("兰英", "Lan-ying", 2), ("芳", "Fang", 9), ("娜", "Na", 8), ("敏", "Min", 8),
        ("静", "Jing", 8), ("丽", "Li", 7), ("艳", "Yan", 6), ("娟", "Juan", 5),
        ("霞", "Xia", 5), ("燕", "Yan", 5), ("玲", "Ling", 4), ("丹", "Dan", 4),
        ("萍", "Ping", 4), ("红", "Hong", 4), ("婷", "Ting", 4), ("雪", "Xue", 3),
        ("琳", "Lin", 3), ("颖", "Ying", 3), ("倩", "Qian", 3), ("慧", "Hui", 3),
        ("莉", "Li", 3), ("欣怡", "Xin-yi", 3), ("梓涵", "Zi-han", 3), ("诗涵", "Shi-han", 3),
        ("雨桐", "Yu-tong", 2), ("一诺", "Yi-nuo", 2), ("子涵", "Zi-han", 2),
        ("梦瑶", "Meng-yao", 2), ("佳怡", "Jia-yi", 2), ("思雨", "Si-yu", 2),
        ("晓燕", "Xiao-yan", 2), ("海燕", "Hai-yan", 2), ("春梅", "Chun-mei", 2),
        ("文静", "Wen-jing", 2), ("丽娟", "Li-juan", 2), ("丽华", "Li-hua", 2),
        ("美玲", "Mei-ling", 1), ("雅琪", "Ya-qi", 1), ("婉婷", "Wan-ting", 1),
        ("晓丽", "Xiao-li", 1), ("娜娜", "Na-na", 1),
    ),
    "m": (
        ("伟", "Wei", 10), ("强", "Qiang", 7), ("磊", "Lei", 7), ("军", "Jun", 6),
        ("勇", "Yong", 6), ("洋", "Yang", 5), ("杰", "Jie", 5), ("涛", "Tao", 5),
        ("明", "Ming", 4), ("超", "Chao", 4), ("刚", "Gang", 4), ("平", "Ping", 3),
        ("辉", "Hui", 3), ("鹏", "Peng", 3), ("斌", "Bin", 3), ("波", "Bo", 3),
        ("宇", "Yu", 3), ("浩", "Hao", 3), ("凯", "Kai", 2), ("健", "Jian", 2),
        ("俊", "Jun", 2), ("帆", "Fan", 2), ("帅", "Shuai", 2), ("旭", "Xu", 2),
        ("亮", "Liang", 2), ("建华", "Jian-hua", 4), ("建国", "Jian-guo", 4),
        ("建军", "Jian-jun", 3), ("志强", "Zhi-qiang", 3), ("志明", "Zhi-ming", 2),
        ("国强", "Guo-qiang", 2), ("海涛", "Hai-tao", 2), ("晓明", "Xiao-ming", 2),
        ("文博", "Wen-bo", 2), ("浩然", "Hao-ran", 3), ("子轩", "Zi-xuan", 3),
        ("宇轩", "Yu-xuan", 2), ("俊杰", "Jun-jie", 2), ("梓豪", "Zi-hao", 2),
        ("皓轩", "Hao-xuan", 2), ("博文", "Bo-wen", 2), ("国华", "Guo-hua", 2),
        ("家豪", "Jia-hao", 1), ("天佑", "Tian-you", 1), ("永刚", "Yong-gang", 1),
        ("立伟", "Li-wei", 1), ("大伟", "Da-wei", 1), ("小龙", "Xiao-long", 1),
        ("文杰", "Wen-jie", 1), ("振华", "Zhen-hua", 1),
    ),
}
# (province, city, districts, postcode prefix, weight); a municipality is its own province.
CN_CITIES: tuple[tuple[str, str, tuple[str, ...], str, int], ...] = (
    ("上海市", "上海市", ("浦东新区", "徐汇区", "静安区", "黄浦区", "闵行区"), "200", 18),
    ("北京市", "北京市", ("朝阳区", "海淀区", "东城区", "西城区", "丰台区"), "100", 15),
    ("广东省", "广州市", ("天河区", "越秀区", "海珠区", "白云区", "番禺区"), "510", 13),
    ("广东省", "深圳市", ("南山区", "福田区", "罗湖区", "宝安区", "龙岗区"), "518", 12),
    ("四川省", "成都市", ("武侯区", "锦江区", "青羊区", "成华区"), "610", 10),
    ("浙江省", "杭州市", ("西湖区", "上城区", "拱墅区", "滨江区"), "310", 9),
    ("湖北省", "武汉市", ("洪山区", "武昌区", "江汉区", "汉阳区"), "430", 8),
    ("重庆市", "重庆市", ("渝中区", "江北区", "南岸区"), "400", 8),
    ("江苏省", "南京市", ("鼓楼区", "玄武区", "秦淮区", "建邺区"), "210", 7),
    ("陕西省", "西安市", ("雁塔区", "碑林区", "新城区"), "710", 6),
    ("天津市", "天津市", ("和平区", "南开区", "河西区"), "300", 6),
    ("山东省", "青岛市", ("市南区", "市北区", "崂山区"), "266", 5),
    ("福建省", "厦门市", ("思明区", "湖里区"), "361", 4),
)
STREETS: tuple[str, ...] = (
    "人民路", "解放路", "中山路", "建设路", "和平路", "胜利路", "文化路", "长江路", "黄河路",
    "东风路", "新华路", "学府路", "科技园路", "滨海大道", "世纪大道", "南京路", "北京路",
    "朝阳路", "青年路", "花园路", "湖滨路", "环城路", "光明路", "幸福路", "团结路",
)
# Mobile prefixes after the leading 1 (China Mobile, Unicom, Telecom).
_MOBILE = (
    "30", "31", "32", "33", "35", "36", "37", "38", "39", "50", "51", "52", "53", "55",
    "56", "57", "58", "59", "77", "80", "81", "82", "83", "85", "86", "87", "88", "89", "99",
)
_DOMAINS = (
    ("qq.com", 30), ("163.com", 25), ("gmail.com", 15), ("126.com", 8), ("outlook.com", 7),
    ("sina.com", 5), ("foxmail.com", 5), ("hotmail.com", 5),
)
# fmt: on
_FAMILY_CUM = tuple(accumulate(w for _, _, w in FAMILY))
_GIVEN_CUM = {g: tuple(accumulate(w for _, _, w in names)) for g, names in GIVEN.items()}
_CITY_CUM = tuple(accumulate(row[4] for row in CN_CITIES))
_DOMAIN_CUM = tuple(accumulate(w for _, w in _DOMAINS))


def chinese_family(rng: random.Random) -> tuple[str, str]:
    """A family name: (characters, pinyin)."""
    chars, latin, _ = rng.choices(FAMILY, cum_weights=_FAMILY_CUM)[0]
    return chars, latin


def chinese_given(rng: random.Random, gender: str, avoid: set[str]) -> tuple[str, str]:
    """A given name for `gender` (`f`/`m`) not in `avoid` (a sibling's): (characters, pinyin
    with its syllables hyphenated, for `pinyin_given`)."""
    names = GIVEN[gender]
    for _ in range(10):
        chars, latin, _ = rng.choices(names, cum_weights=_GIVEN_CUM[gender])[0]
        if chars not in avoid:
            break
    return chars, latin


def pinyin_given(rng: random.Random, latin: str) -> str:
    """How a person romanises their given name, chosen once: a two-syllable name mostly
    joined (`Xiuying`), sometimes hyphenated (`Xiu-Ying`) or spaced (`Xiu Ying`)."""
    head, _, tail = latin.partition("-")
    if not tail:
        return latin
    roll = rng.random()
    if roll >= 0.15:
        return head + tail
    return f"{head}-{tail.capitalize()}" if roll < 0.1 else f"{head} {tail.capitalize()}"


def chinese_mobile(rng: random.Random, taken: set[str]) -> str:
    """An unused mainland mobile number: 11 digits starting with 1 (`13800138000`)."""
    while True:
        digits = f"1{rng.choice(_MOBILE)}{rng.randint(0, 99_999_999):08d}"
        if digits not in taken and len(set(digits[-7:])) > 1:
            taken.add(digits)
            return digits


def chinese_address(rng: random.Random) -> tuple[str, str | None, str, str, str]:
    """(line1, line2, city, province, postcode): `南山区科技园路1号`, `3栋502室`, `深圳市`,
    `广东省`, `518057`. Written whole, province first: 广东省深圳市南山区科技园路1号."""
    province, city, districts, prefix, _ = rng.choices(CN_CITIES, cum_weights=_CITY_CUM)[0]
    line1 = f"{rng.choice(districts)}{rng.choice(STREETS)}{rng.randint(1, 999)}号"
    line2 = None
    if rng.random() < 0.6:
        line2 = f"{rng.randint(1, 30)}栋{rng.randint(1, 33)}{rng.randint(1, 8):02d}室"
    return line1, line2, city, province, f"{prefix}{rng.randint(0, 999):03d}"


def chinese_email_local(
    rng: random.Random, given: str, family: str, born_year: int
) -> tuple[str, str]:
    """(local part, domain) of an address a person in China would have: built from the pinyin
    (`zhangwei88`, `wei.zhang`), or a QQ number at qq.com."""
    domain = rng.choices(_DOMAINS, cum_weights=_DOMAIN_CUM)[0][0]
    if domain == "qq.com" and rng.random() < 0.7:
        return str(rng.randint(10_000_000, 2_999_999_999)), domain
    g, f = given.lower().replace(" ", "").replace("-", ""), family.lower()
    pattern = rng.randrange(6)
    local = (
        f"{f}{g}",
        f"{g}.{f}",
        f"{f}{g}{born_year % 100:02d}",
        f"{f}.{g}",
        f"{f}{g}{rng.randint(1, 999)}",
        f"{g[0]}{f}{born_year}",
    )[pattern]
    return local, domain
